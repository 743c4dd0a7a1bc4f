import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { describeError, errorMessage } from '../../common/describe-error.js';
import { isDatabaseUnavailable } from '../../common/database-unavailable.js';
import { runAsOne } from '../../common/statements.js';
import { MAX_TIMER_MS, monotonicMs } from '../../common/clock.js';
import { RefetchBeforeApplyError } from '../../errors/refetch-before-apply.error.js';
import { DomainEventPublisher } from '../../events/domain-event.publisher.js';
import { PendingDomainEvent, StripeEventRef } from '../../events/litestripe-event.payloads.js';
import { SubscriptionRowWriter } from '../../state/subscription-row.writer.js';
import { WebhookEventHandler } from '../handlers/webhook-event-handler.js';
import { applyEvent, WebhookHandlers } from '../webhook-handlers.js';
import type { RecordedOutcome } from '../../entities/stripe-event-log.entity.js';
import { ClaimedEvent, InboxRepository } from './inbox.repository.js';
import { decodeWork } from './work.codec.js';
import { LitestripeMetrics } from '../../metrics/litestripe-metrics.js';

/** A claimed event ready for the batch transaction: read, decoded, its host hooks and Stripe reads done. */
interface ReadyEvent {
  claimed: ClaimedEvent;
  handler: WebhookEventHandler;
  prepared: unknown;
  subscriptionId: string;
  ref: StripeEventRef;
}

interface BatchResult {
  changes: { events: PendingDomainEvent[]; stripeEventId: string }[];
  /** Events whose ordering key another applier held: left for it, or for a later batch. */
  skipped: ReadyEvent[];
}

/** One event's apply failed inside the batch transaction: the batch is retried without it. */
class EventApplyFailure extends Error {
  constructor(
    readonly event: ReadyEvent,
    readonly reason: unknown,
  ) {
    super(errorMessage(reason));
  }
}

/** How soon events of a key another applier holds are tried again, in ms. */
const HELD_KEY_RETRY_MS = 50;
/** The soonest an idle applier looks again for an event that was due but taken by no one, in ms. */
const MIN_NEXT_DUE_WAKE_MS = 10;
/** How often a busy applier counts the inbox's depth (for the webhook's 503 bound), in ms. */
const DEPTH_COUNT_INTERVAL_MS = 200;

/**
 * Applies the inbox (`webhookProcessing: 'deferred'`) in batches, on every instance:
 * 1. lease up to `inbox.batchSize` due events (`FOR UPDATE SKIP LOCKED`: two appliers never take
 *    the same event);
 * 2. outside any transaction, run what may wait on others, for every event at once: host hooks
 *    and reads from Stripe;
 * 3. in one transaction, take the events still pending (a batch that outlived its lease may find
 *    them applied by another applier) with the advisory lock of each ordering key (a key another
 *    applier holds is left to it, so two never apply events of one subscription at once), lock
 *    the batch's subscription rows in one statement, apply the events in `created` order through
 *    the same handlers and ordering rules as inline processing (row updates staged in memory),
 *    then write the changed rows, mark the events applied and record their domain events in the
 *    outbox, all in one statement. An event whose apply fails is taken out and the batch retried
 *    without it, so it rolls back no other; it is retried with backoff, then kept as failed
 *    (`WebhookInboxService`);
 * 4. after commit, publish the domain events (the next batch does not wait for the listeners).
 * Woken at once by this instance's webhook and by other appliers (`InboxWakeups`), when the next
 * retry or released event is due (timed on PostgreSQL's clock), and every
 * `inbox.sweepIntervalMs` as a fallback. In inline mode the sweep still drains what a deferred
 * past, or an operator's retry, left in the inbox.
 */
@Injectable()
export class InboxApplier implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private wanted = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private sweep: NodeJS.Timeout | null = null;
  private nextDue: NodeJS.Timeout | undefined;
  /** Whether this applier put off an event (a retry's backoff, a held key) that falls due before the next sweep. */
  private awaitingDue = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private outage = false;
  /** Pending events as last counted, plus those this instance stored since, less those it applied. */
  private depth = 0;
  private depthCountedAt = Number.NEGATIVE_INFINITY;
  /** Domain events being published: the next batch does not wait for them; shutdown does. */
  private readonly publishing = new Set<Promise<void>>();
  /** Events of a batch that failed as a whole (an outage): given back as soon as the database answers, not when their lease runs out. */
  private stranded: string[] = [];

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly inbox: InboxRepository,
    private readonly handlers: WebhookHandlers,
    private readonly writer: SubscriptionRowWriter,
    private readonly publisher: DomainEventPublisher,
    private readonly metrics: LitestripeMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.observeBacklog('inbox', () => this.inbox.status(this.options.inbox.maxDepth));
    this.sweep = setInterval(() => this.wake(), this.options.inbox.sweepIntervalMs);
    this.sweep.unref();
    this.wake();
  }

  /** Before TypeORM's own shutdown closes the DataSource: the batch under way finishes first. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    clearTimeout(this.nextDue);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
  }

  /** Whether the inbox holds `inbox.maxDepth` events or more, as last counted (plus this instance's since). */
  get full(): boolean {
    return this.depth >= this.options.inbox.maxDepth;
  }

  /** This instance stored an event: wake the applier (no round trip to PostgreSQL). */
  stored(): void {
    this.depth += 1;
    this.wake();
  }

  /** Whether the applier has stopped (the app is shutting down). */
  get stopped(): boolean {
    return this.closed;
  }

  /** Drains what is due, unless a drain is already running (it then goes on with whatever came in meanwhile). */
  wake(): void {
    if (this.closed) return;
    this.wanted = true;
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  /** Resolves once the drain running now (if any) has finished, and its domain events' listeners. */
  async idle(): Promise<void> {
    await this.running;
    await Promise.all(this.publishing);
  }

  private async drain(): Promise<void> {
    const { batchSize } = this.options.inbox;
    while (this.wanted && !this.closed) {
      this.wanted = false;
      try {
        while (!this.closed && (await this.applyBatch()) === batchSize);
        if (this.awaitingDue && !this.wanted && !this.closed) await this.wakeWhenNextDue();
        if (this.outage) this.logger.log('The inbox is being applied again');
        this.outage = false;
      } catch (error) {
        // The database is unreachable, or a batch failed as a whole: its events are given back as
        // soon as the database answers again (or taken by another instance once their leases run out).
        if (!this.outage) this.logger.warn(`Applying the inbox failed; retrying in ${this.options.inbox.retryBackoffMs} ms: ${errorMessage(error)}`);
        this.outage = true;
        this.wakeIn(this.options.inbox.retryBackoffMs);
        return;
      }
    }
  }

  /** One batch; returns how many events it took. */
  private async applyBatch(): Promise<number> {
    const { batchSize, leaseMs } = this.options.inbox;
    if (this.stranded.length > 0) {
      await this.inbox.release(this.stranded, 0);
      this.stranded = [];
    }
    const claimed = await this.inbox.claim(batchSize, leaseMs);
    try {
      await this.countDepth(claimed.length);
      if (claimed.length === 0) return 0;
      claimed.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const started = monotonicMs();
      await this.applyClaimed(claimed);
      this.metrics.webhookApplied('deferred', started);
      return claimed.length;
    } catch (error) {
      this.stranded = claimed.map((event) => event.id);
      throw error;
    }
  }

  /**
   * Counts the inbox (across instances) when it last did over `DEPTH_COUNT_INTERVAL_MS` ago, or
   * when it finds it empty; between counts, what this instance takes comes off its estimate.
   */
  private async countDepth(taken: number): Promise<void> {
    if (taken > 0 && monotonicMs() - this.depthCountedAt < DEPTH_COUNT_INTERVAL_MS) {
      this.depth = Math.max(0, this.depth - taken);
      return;
    }
    this.depth = await this.inbox.depth(this.options.inbox.maxDepth);
    this.depthCountedAt = monotonicMs();
  }

  private async applyClaimed(claimed: ClaimedEvent[]): Promise<void> {
    let ready = await this.prepareAll(claimed);
    for (;;) {
      try {
        await this.afterCommit(await this.applyInTransaction(ready));
        return;
      } catch (error) {
        if (!(error instanceof EventApplyFailure) || isDatabaseUnavailable(error.reason)) throw error instanceof EventApplyFailure ? error.reason : error;
        ready = ready.filter((event) => event !== error.event);
        await this.failed(error.event.claimed, error.reason);
      }
    }
  }

  /** Runs every event's host hooks and Stripe reads at once (they wait on others, not on each other); keeps the batch's order. */
  private async prepareAll(claimed: ClaimedEvent[]): Promise<ReadyEvent[]> {
    const prepared = await Promise.all(claimed.map((event) => this.prepare(event).then((ready) => ({ ready }), (error: unknown) => ({ error, event }))));
    const ready: ReadyEvent[] = [];
    for (const result of prepared) {
      if ('ready' in result) ready.push(result.ready);
      else if (isDatabaseUnavailable(result.error)) throw result.error;
      else await this.failed(result.event, result.error);
    }
    return ready;
  }

  private async prepare(event: ClaimedEvent): Promise<ReadyEvent> {
    const handler = this.handlers.for(event.type);
    if (!handler) throw new Error(`no handler for ${event.type} in this version of the module`);
    const facts = decodeWork(event.work);
    const prepared = await handler.prepare(facts);
    const ref = new StripeEventRef(event.id, event.type, event.created, event.livemode, event.account);
    return { claimed: event, handler, prepared, subscriptionId: handler.subscriptionIdOf(facts), ref };
  }

  private applyInTransaction(ready: ReadyEvent[]): Promise<BatchResult> {
    return this.dataSource.transaction(async (manager) => {
      const taken = await this.inbox.takeForApply(manager, ready.map((event) => event.claimed.id));
      const mine = ready.filter((event) => taken.has(event.claimed.id));
      const rows = await this.writer.lockMany(manager, [...new Set(mine.map((event) => event.subscriptionId))].sort());
      this.writer.stage(manager);
      const outcomes = new Map<string, RecordedOutcome>();
      const changes: BatchResult['changes'] = [];
      for (const event of mine) {
        try {
          const applied = await applyEvent(event.handler, manager, event.prepared, event.ref, rows.get(event.subscriptionId)!, { batched: true });
          outcomes.set(event.claimed.id, applied.outcome);
          changes.push({ events: applied.events, stripeEventId: event.claimed.id });
        } catch (error) {
          throw new EventApplyFailure(event, error);
        }
      }
      await runAsOne(manager, [this.writer.flushStatement(manager), this.inbox.markAppliedStatement(outcomes), ...this.publisher.recordStatements(changes)]);
      // Not taken: of a key another applier holds (released to be tried again), or no longer pending (nothing to do).
      return { changes, skipped: ready.filter((event) => !taken.has(event.claimed.id)) };
    });
  }

  private async afterCommit({ changes, skipped }: BatchResult): Promise<void> {
    if (skipped.length > 0) {
      await this.inbox.release(skipped.map((event) => event.claimed.id), HELD_KEY_RETRY_MS);
      this.awaitingDue = true;
    }
    const events = changes.flatMap((change) => change.events);
    if (events.length === 0) return;
    // Listeners are called in commit order (publish calls them before its first await); the next
    // batch need not wait for them to finish. A failing listener is the outbox's to retry.
    const publishing = this.publisher.publish(events, `${changes[0].stripeEventId} and the rest of its inbox batch`);
    this.publishing.add(publishing);
    void publishing.finally(() => this.publishing.delete(publishing));
  }

  /** An event that could not be applied: settle a tie with Stripe first, or count a failed attempt. */
  private async failed(event: ClaimedEvent, error: unknown): Promise<void> {
    if (error instanceof RefetchBeforeApplyError) {
      await this.inbox.release([event.id], 0, true);
      this.wake();
      return;
    }
    const { maxAttempts, retryBackoffMs } = this.options.inbox;
    const state = await this.inbox.recordFailure(event.id, describeError(error), maxAttempts, retryBackoffMs);
    if (state === 'failed') {
      this.logger.error(`Stripe event ${event.id} (${event.type}) failed to apply ${maxAttempts} times; kept as failed until retried (WebhookInboxService.retryFailed, or the CLI's events retry): ${describeError(error)}`);
      return;
    }
    this.logger.warn(`Stripe event ${event.id} (${event.type}) failed to apply (attempt ${event.attempts + 1} of ${maxAttempts}); retrying with backoff: ${describeError(error)}`);
    this.awaitingDue = true;
  }

  /**
   * Before going idle, after this applier put an event off, a wake-up for when the next pending
   * event (a retry's backoff, a held key's delay) is due. The delay is read on PostgreSQL's clock,
   * which set `available_at`: a timer of the backoff's length set here can fire just before the
   * event is due, and then nothing would look again until the sweep. So while one is due before
   * the next sweep, each drain asks again (a wake-up that came a little early finds it still put off).
   */
  private async wakeWhenNextDue(): Promise<void> {
    const ms = await this.inbox.nextDueInMs();
    clearTimeout(this.nextDue);
    this.awaitingDue = ms !== null && ms < this.options.inbox.sweepIntervalMs;
    if (ms === null) return;
    this.nextDue = setTimeout(() => this.wake(), Math.min(MAX_TIMER_MS, Math.max(MIN_NEXT_DUE_WAKE_MS, Math.ceil(ms))));
    this.nextDue.unref();
  }

  private wakeIn(ms: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.wake();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
