import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { LitestripeBrokerMessage } from './litestripe-broker-message';

export interface ProcessedMessage {
  id: string;
  name: string;
  processedAt: Date;
}

/**
 * Exactly-once effects on top of at-least-once delivery: the message's id is marked processed in
 * the same transaction as the handler's effect. A redelivery (or the same event from the other
 * broker) finds the mark and is skipped; a failure rolls back mark and effect together, so the
 * broker's redelivery applies both.
 */
@Injectable()
export class ProcessedMessages {
  /** Deliveries skipped as already processed since the start (what the broker delivered twice). */
  duplicatesSkipped = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `effect` in one transaction with the mark; resolves false, without running it, for an id already processed. */
  async runOnce(message: LitestripeBrokerMessage, effect: (tx: EntityManager) => Promise<void>): Promise<boolean> {
    const applied = await this.dataSource.transaction(async (tx) => {
      // A concurrent delivery of the same id waits here on the uncommitted row, then finds it.
      const marked: unknown[] = await tx.query(
        'INSERT INTO consumer_processed_message (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id',
        [message.id, message.name],
      );
      if (marked.length === 0) return false;
      await effect(tx);
      return true;
    });
    if (!applied) this.duplicatesSkipped++;
    return applied;
  }

  /** Every processed message, oldest first. */
  list(): Promise<ProcessedMessage[]> {
    return this.dataSource.query(
      'SELECT id, name, processed_at AS "processedAt" FROM consumer_processed_message ORDER BY processed_at, id',
    );
  }
}
