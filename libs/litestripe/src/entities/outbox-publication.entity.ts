import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DomainEventOutboxEntry } from './domain-event-outbox.entity.js';

/**
 * An outbox entry's delivery to one message broker: its own lease, attempts and delivered mark, so a
 * slow or failing broker holds back neither the in-process bus (whose marks are on the entry) nor the
 * other brokers. Deleted with its entry.
 */
@Entity('litestripe_outbox_publication')
@Index('litestripe_outbox_publication_due_idx', ['destination', 'sequence'], { where: '"delivered_at" IS NULL AND "failed_at" IS NULL' })
@Index('litestripe_outbox_publication_leased_idx', ['destination', 'leasedUntil'], { where: '"leased_until" IS NOT NULL' })
@Index('litestripe_outbox_publication_failed_idx', ['destination', 'failedAt'], { where: '"failed_at" IS NOT NULL' })
export class OutboxPublication {
  @PrimaryColumn('text', { name: 'outbox_id', primaryKeyConstraintName: 'litestripe_outbox_publication_pkey' })
  outboxId: string;

  /** The broker's name (option `brokers`). */
  @PrimaryColumn('text', { primaryKeyConstraintName: 'litestripe_outbox_publication_pkey' })
  destination: string;

  @ManyToOne(() => DomainEventOutboxEntry, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'outbox_id', foreignKeyConstraintName: 'litestripe_outbox_publication_entry_fkey' })
  entry?: DomainEventOutboxEntry;

  /** The order publications were recorded in, which the broker gets them in. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS' })
  sequence: string;

  /** Not published before this time: the retry backoff after the broker rejected it. */
  @Column('timestamptz', { name: 'available_at', default: () => 'now()' })
  availableAt: Date;

  /** Taken by an instance publishing it until then; while one is taken, no other instance publishes to this broker. */
  @Column('timestamptz', { name: 'leased_until', nullable: true })
  leasedUntil: Date | null;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'delivered_at', nullable: true })
  deliveredAt: Date | null;

  @Column('timestamptz', { name: 'failed_at', nullable: true })
  failedAt: Date | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;
}
