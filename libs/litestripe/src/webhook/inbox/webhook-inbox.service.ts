import { Inject, Injectable } from '@nestjs/common';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { InboxApplier } from './inbox.applier.js';
import { FailedInboxEvent, InboxRepository } from './inbox.repository.js';

export type { FailedInboxEvent } from './inbox.repository.js';

/** The inbox as a host or a health check sees it. */
export interface InboxStatus {
  /** The module's `webhookProcessing` option. */
  webhookProcessing: 'inline' | 'deferred';
  /** Events waiting to be applied (counted up to `maxDepth`). */
  depth: number;
  /** Past this depth the webhook answers 503. */
  maxDepth: number;
  /** How long the oldest waiting event has waited, in ms (0 when none waits): the apply lag. */
  lagMs: number;
  /** Events kept as failed, waiting for an operator's retry (or, if they failed inline, for Stripe's redelivery). */
  failed: number;
}

/**
 * Operations on the webhook inbox: its depth and lag, the events that failed, their retry, and a
 * drain for tests and scripts. The event log keeps failed events until they succeed; in inline
 * mode only Stripe's redelivery (or `sync replay`) retries one, since nothing of its payload was kept.
 */
@Injectable()
export class WebhookInboxService {
  /** @internal */
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly inbox: InboxRepository,
    private readonly applier: InboxApplier,
  ) {}

  /** Depth, lag and failed count, read from the database (shared by every instance). */
  async status(): Promise<InboxStatus> {
    const { depth, lagMs, failed } = await this.inbox.status(this.options.inbox.maxDepth);
    return { webhookProcessing: this.options.webhookProcessing, depth, maxDepth: this.options.inbox.maxDepth, lagMs, failed };
  }

  /** Failed events, oldest first. */
  listFailed(options: { limit?: number } = {}): Promise<FailedInboxEvent[]> {
    return this.inbox.listFailed(options.limit ?? 100);
  }

  /**
   * Queues failed events again (all retryable ones, or the given ids) with a fresh count of
   * attempts, and wakes the applier; returns the ids queued. An id that is not a retryable failed
   * event is left out of the answer.
   */
  async retryFailed(ids?: readonly string[]): Promise<string[]> {
    const queued = await this.inbox.retryFailed(ids);
    if (queued.length > 0) this.applier.wake();
    return queued;
  }

  /**
   * Applies everything due now on this instance and resolves when nothing due is left (events
   * backing off after a failure, or leased by another instance, are not waited for).
   */
  async drain(): Promise<void> {
    do {
      this.applier.wake();
      await this.applier.idle();
    } while (!this.applier.stopped && (await this.inbox.dueCount()) > 0);
  }
}
