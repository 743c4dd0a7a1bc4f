import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/** A subject's use of one metric in one period (usage limits counted in PostgreSQL). */
@Entity('litestripe_usage')
export class UsageCounter {
  /** `account:<account reference>`. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_usage_pkey' })
  subject: string;

  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_usage_pkey' })
  metric: string;

  @PrimaryColumn('timestamptz', { name: 'period_start', primaryKeyConstraintName: 'litestripe_usage_pkey' })
  periodStart: Date;

  @Column('timestamptz', { name: 'period_end' })
  periodEnd: Date;

  @Column('bigint', { transformer: bigintNumber })
  used: number;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
