import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer.js';

/**
 * A use of a metered metric waiting to be reported to Stripe (`billing.meterEvents.create`), or
 * reported. Written before the use is counted, so nothing counted goes unbilled.
 */
@Entity('litestripe_meter_event')
@Index('litestripe_meter_event_due_idx', ['availableAt'], { where: '"reported_at" IS NULL AND "failed_at" IS NULL' })
export class MeterEventReport {
  /** Sent as the meter event's `identifier` (and idempotency key): Stripe bills it once. */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_meter_event_pkey' })
  identifier: string;

  @Column('text', { name: 'event_name' })
  eventName: string;

  @Column('text', { name: 'customer_id' })
  customerId: string;

  @Column('bigint', { transformer: bigintNumber })
  value: number;

  /** The use's time, sent as the meter event's `timestamp`. */
  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt: Date;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** Not reported by anyone before this time: an instance's lease, or a retry's backoff. */
  @Column('timestamptz', { name: 'available_at', default: () => 'now()' })
  availableAt: Date;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'reported_at', nullable: true })
  reportedAt: Date | null;

  /** Set when Stripe refused the event for good (an unknown meter or customer, a timestamp too old). */
  @Column('timestamptz', { name: 'failed_at', nullable: true })
  failedAt: Date | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;
}
