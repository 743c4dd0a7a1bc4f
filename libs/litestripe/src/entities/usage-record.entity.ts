import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** An idempotency key of `UsageService.record()`: a retry with the same key adds nothing. Kept 35 days. */
@Entity('litestripe_usage_record')
@Index('litestripe_usage_record_recorded_idx', ['recordedAt'])
export class UsageRecord {
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_usage_record_pkey' })
  subject: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_usage_record_pkey' })
  metric: string;

  @PrimaryColumn('text', { name: 'idempotency_key', primaryKeyConstraintName: 'litestripe_usage_record_pkey' })
  idempotencyKey: string;

  @Column('bigint', { transformer: bigintNumber })
  quantity: number;

  @Column('timestamptz', { name: 'recorded_at', default: () => 'now()' })
  recordedAt: Date;
}
