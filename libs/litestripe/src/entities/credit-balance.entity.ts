import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** A subject's unspent credits of one metric, bought in credit packs (they do not expire). */
@Entity('litestripe_credit_balance')
export class CreditBalance {
  /** `account:<account reference>`. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_credit_balance_pkey' })
  subject: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_credit_balance_pkey' })
  metric: string;

  @Column('bigint', { default: 0, transformer: bigintNumber })
  balance: number;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
