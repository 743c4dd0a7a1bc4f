import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DirectQuery, directQuery } from '../common/direct-query.js';

// Takes the credits only if they are all there: the row lock of the UPDATE makes check and spend one step.
const SPEND = `UPDATE litestripe_credit_balance SET balance = balance - $3, updated_at = now() WHERE subject = $1 AND metric = $2 AND balance >= $3 RETURNING balance`;
const REFUND = `UPDATE litestripe_credit_balance SET balance = balance + $3, updated_at = now() WHERE subject = $1 AND metric = $2`;
const BALANCE = `SELECT balance FROM litestripe_credit_balance WHERE subject = $1 AND metric = $2`;

/**
 * Spends a subject's credits (bought in credit packs; purchases and refunds write them with the
 * webhook's transaction). Always in PostgreSQL, whatever the metric's store: credits are paid for,
 * and they are only reached once the period's allowance is used up.
 */
@Injectable()
export class CreditBalances {
  private readonly query: DirectQuery;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.query = directQuery(dataSource);
  }

  async balance(subject: string, metric: string): Promise<number> {
    const rows = await this.query(BALANCE, [subject, metric], 'litestripe_credit_balance');
    return rows.length > 0 ? Number(rows[0].balance) : 0;
  }

  /** Takes `cost` credits if the balance holds them; `balance` is what is left either way. */
  async spend(subject: string, metric: string, cost: number): Promise<{ granted: boolean; balance: number }> {
    const rows = await this.query(SPEND, [subject, metric, cost], 'litestripe_credit_spend');
    if (rows.length > 0) return { granted: true, balance: Number(rows[0].balance) };
    return { granted: false, balance: await this.balance(subject, metric) };
  }

  /** Gives back credits spent on a request that failed. */
  async refund(subject: string, metric: string, cost: number): Promise<void> {
    await this.query(REFUND, [subject, metric, cost], 'litestripe_credit_refund');
  }
}
