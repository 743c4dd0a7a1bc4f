import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type Stripe from 'stripe';
import { unixSeconds } from '../common/clock.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { CustomerFeaturesRefresher } from '../state/customer-features.refresher.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { StripeStateApplier } from '../state/stripe-state.applier.js';
import { WebhookEventProcessor } from '../webhook/webhook-event.processor.js';
import { ABORTED, settle, type Settled, untilAborted } from './sync-abort.js';
import type { BackfillOptions, ReplayOptions, SyncRunOptions } from './sync-options.interface.js';
import { rowsToUpgrade } from './rows-to-upgrade.js';
import { SyncRun } from './sync-run.js';
import type { SyncSummary } from './sync-summary.js';
import { describeError } from '../common/describe-error.js';

/** Stripe's largest page. */
const PAGE_SIZE = 100;
/** Stripe lists events of the last 30 days only. */
const MAX_REPLAY_DAYS = 30;
/** Stripe's limit on `types` of `GET /v1/events`. */
const MAX_EVENT_TYPES = 20;
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
const DAY_SECONDS = 86_400;

type ListPage = (startingAfter: string | undefined) => Promise<Stripe.ApiList<Stripe.Subscription>>;

/**
 * Reconciles the subscription table with Stripe: backfills every subscription, replays the events
 * Stripe failed to deliver, re-syncs one subscription or one customer. Every call goes through the
 * module's rate-limited client; every write goes through the same ordering rules, row lock, orphan
 * records and domain events as a webhook, so runs can be interrupted and repeated safely.
 * A failed item is counted and logged, and the run goes on.
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger('LitestripeSync');

  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
    private readonly applier: StripeStateApplier,
    private readonly processor: WebhookEventProcessor,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly entitlementOptions: ResolvedEntitlementOptions,
    private readonly features: CustomerFeaturesRefresher,
  ) {}

  /**
   * Every subscription in Stripe (status `all`), page by page, newest first; then, with
   * `featuresFrom` `'stripe'` or `'both'`, the features (active entitlements) of every customer seen.
   */
  async backfill(options: BackfillOptions = {}): Promise<SyncSummary> {
    const concurrency = checkConcurrency(options.concurrency ?? DEFAULT_CONCURRENCY);
    const run = new SyncRun(options);
    if (options.countFirst ?? (options.onProgress !== undefined && options.startingAfter === undefined)) {
      const total = await untilAborted(this.countSubscriptions(), run.signal);
      if (total === ABORTED) return this.finish('Backfill', run, 'aborted');
      run.expect(total);
    }
    const list: ListPage = (startingAfter) =>
      this.stripe.subscriptions.list({ status: 'all', limit: PAGE_SIZE, expand: ['data.customer'], starting_after: startingAfter });
    const customers = new Set<string>();
    await this.syncPages(run, list, options.startingAfter, concurrency, customers);
    await this.syncFeatures(run, customers, concurrency);
    return this.finish('Backfill', run);
  }

  /**
   * Events of the handled types that Stripe failed to deliver in the last `days`, oldest first,
   * through the webhook pipeline. Events the event log already holds count as `duplicates`.
   */
  async replayUndelivered(options: ReplayOptions = {}): Promise<SyncSummary> {
    const days = checkDays(options.days ?? MAX_REPLAY_DAYS);
    const run = new SyncRun(options);
    const handled = new Set(this.processor.handledEventTypes);
    const params: Stripe.EventListParams = {
      delivery_success: false,
      created: { gte: unixSeconds(this.options.clock) - days * DAY_SECONDS },
      limit: PAGE_SIZE,
      // With more types than Stripe accepts, list them all and leave the others out here.
      ...(handled.size <= MAX_EVENT_TYPES ? { types: [...handled] } : {}),
    };
    const events: Stripe.Event[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await this.awaitPage(run, settle(this.stripe.events.list({ ...params, starting_after: startingAfter })));
      if (!page) return this.finish('Replay', run);
      events.push(...page.data.filter((event) => handled.has(event.type)));
      const last = page.data.at(-1);
      if (!page.has_more || !last) break;
      startingAfter = last.id;
    }
    // Stripe lists newest first; deliver them in the order they happened.
    events.reverse();
    run.expect(events.length);
    for (const event of events) {
      if (run.aborted) return this.finish('Replay', run, 'aborted');
      await this.replayOne(run, event);
    }
    return this.finish('Replay', run);
  }

  /** One subscription, as Stripe has it now. */
  async syncSubscription(id: string, options: SyncRunOptions = {}): Promise<SyncSummary> {
    const run = new SyncRun(options);
    run.expect(1);
    if ((await this.syncOne(run, id)) === ABORTED) return this.finish(`Sync of subscription ${id}`, run, 'aborted');
    return this.finish(`Sync of subscription ${id}`, run);
  }

  /**
   * Re-reads from Stripe, one by one, the rows an upgrade left incomplete (a pause stored before
   * its behaviour was): the upgrade step of the README's upgrade notes. Nothing to do is a
   * complete run of 0 items; running it again is harmless.
   */
  async upgradeRows(options: SyncRunOptions = {}): Promise<SyncSummary> {
    const run = new SyncRun(options);
    const ids = await rowsToUpgrade(this.dataSource, this.options.livemode);
    run.expect(ids.length);
    for (const id of ids) {
      if (run.aborted || (await this.syncOne(run, id)) === ABORTED) return this.finish('Upgrade', run, 'aborted');
    }
    return this.finish('Upgrade', run);
  }

  private async syncOne(run: SyncRun, id: string): Promise<void | typeof ABORTED> {
    let subscription: Stripe.Subscription | typeof ABORTED;
    try {
      subscription = await untilAborted(this.stripe.subscriptions.retrieve(id, { expand: ['customer'] }), run.signal);
    } catch (error) {
      this.logger.error(`Could not fetch subscription ${id} from Stripe: ${describeError(error)}`);
      run.count('failed');
      return;
    }
    if (subscription === ABORTED) return ABORTED;
    await this.applyBatch(run, [subscription], 1);
  }

  /** Every subscription of one customer (status `all`), then its Stripe features as `backfill` does. */
  async syncCustomer(customerId: string, options: SyncRunOptions = {}): Promise<SyncSummary> {
    const run = new SyncRun(options);
    const list: ListPage = (startingAfter) =>
      this.stripe.subscriptions.list({ customer: customerId, status: 'all', limit: PAGE_SIZE, expand: ['data.customer'], starting_after: startingAfter });
    const customers = new Set<string>();
    await this.syncPages(run, list, undefined, DEFAULT_CONCURRENCY, customers);
    await this.syncFeatures(run, customers, DEFAULT_CONCURRENCY);
    if (run.summary.complete && run.handled === 0) this.logger.warn(`Stripe lists no subscription of customer ${customerId}`);
    return this.finish(`Sync of customer ${customerId}`, run);
  }

  /** Pages through a subscription list, fetching the next page while the current one is written; notes the customers seen. */
  private async syncPages(run: SyncRun, listPage: ListPage, startingAfter: string | undefined, concurrency: number, customers: Set<string>): Promise<void> {
    let pending = settle(listPage(startingAfter));
    for (;;) {
      const page = await this.awaitPage(run, pending);
      if (!page) return;
      const last = page.data.at(-1);
      const next = page.has_more && last ? settle(listPage(last.id)) : null;
      if (!next) run.expect(run.handled + page.data.length);
      const finished = await this.applyBatch(run, page.data, concurrency);
      for (const subscription of page.data) {
        const customer = typeof subscription.customer === 'string' ? subscription.customer : subscription.customer?.id;
        if (customer) customers.add(customer);
      }
      if (!finished || (next && run.aborted)) {
        run.stop('aborted');
        return;
      }
      if (!next) return;
      pending = next;
    }
  }

  /** The page, or null when the run stops here (aborted, or the page could not be fetched). */
  private async awaitPage<T>(run: SyncRun, pending: Promise<Settled<Stripe.ApiList<T>>>): Promise<Stripe.ApiList<T> | null> {
    const settled = await untilAborted(pending, run.signal);
    if (settled === ABORTED) {
      run.stop('aborted');
      return null;
    }
    if (settled.error !== undefined) {
      const resume = run.summary.lastId ? `; resume after ${run.summary.lastId}` : '';
      this.logger.error(`Could not list from Stripe, stopping after ${run.handled} items${resume}: ${describeError(settled.error)}`);
      run.stop('list-failed');
      return null;
    }
    return settled.value as Stripe.ApiList<T>;
  }

  /**
   * Writes `subscriptions` with up to `concurrency` at once, in list order. Returns false when the
   * signal stopped it before every item was started (the started ones have finished).
   */
  private async applyBatch(run: SyncRun, subscriptions: Stripe.Subscription[], concurrency: number): Promise<boolean> {
    let next = 0;
    const worker = async () => {
      while (next < subscriptions.length && !run.aborted) {
        const subscription = subscriptions[next++];
        run.summary.lastId = subscription.id;
        await this.applyOne(run, subscription);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, subscriptions.length) }, worker));
    return next === subscriptions.length;
  }

  private async applyOne(run: SyncRun, subscription: Stripe.Subscription): Promise<void> {
    let outcome: 'created' | 'updated' | 'unchanged' | 'failed';
    let orphaned = false;
    try {
      const result = await this.applier.applySubscription(subscription, { recordOrphan: true, orphanEmail: emailOf(subscription.customer) });
      outcome = result.outcome;
      orphaned = result.orphaned;
    } catch (error) {
      this.logger.error(`Could not sync subscription ${subscription.id}; the others go on, re-run to retry it: ${describeError(error)}`);
      outcome = 'failed';
    }
    run.count(outcome, orphaned);
  }

  /**
   * With `featuresFrom` `'stripe'` or `'both'`: each customer's active entitlements, listed from
   * Stripe and stored as of Stripe's answer (an older summary event delivered later changes
   * nothing; a newer one wins), once per customer, up to `concurrency` at once. Counted in
   * `featuresSynced`; a customer that fails is logged and counted in `failed`.
   */
  private async syncFeatures(run: SyncRun, customers: Set<string>, concurrency: number): Promise<void> {
    if (!this.entitlementOptions.catalog.readsStripeFeatures) return;
    run.summary.featuresSynced ??= 0;
    const queue = [...customers];
    let next = 0;
    const worker = async () => {
      while (next < queue.length && !run.aborted) {
        const customer = queue[next++];
        try {
          if ((await untilAborted(this.features.refresh(customer), run.signal)) === ABORTED) return;
          run.summary.featuresSynced!++;
        } catch (error) {
          this.logger.error(`Could not sync the features of customer ${customer}; the others go on, re-run to retry it: ${describeError(error)}`);
          run.summary.failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    if (next < queue.length || run.aborted) run.stop('aborted');
  }

  private async replayOne(run: SyncRun, event: Stripe.Event): Promise<void> {
    run.summary.lastId = event.id;
    let outcome: 'replayed' | 'duplicates' | 'failed';
    try {
      outcome = (await this.processor.process(event)) === 'duplicate' ? 'duplicates' : 'replayed';
    } catch (error) {
      this.logger.warn(`Replay of Stripe event ${event.id} (${event.type}) failed; the others go on, re-run the replay to retry it: ${describeError(error)}`);
      outcome = 'failed';
    }
    run.count(outcome);
  }

  /** Stripe's estimate of how many subscriptions there are, or null where search is unavailable. */
  private async countSubscriptions(): Promise<number | null> {
    try {
      const result = await this.stripe.subscriptions.search({ query: 'created>0', limit: 1, expand: ['total_count'] });
      return typeof result.total_count === 'number' ? result.total_count : null;
    } catch (error) {
      this.logger.debug(`No first count of subscriptions (Stripe's search API answered: ${describeError(error)}); progress shows no total`);
      return null;
    }
  }

  private finish(what: string, run: SyncRun, stopReason?: 'aborted'): SyncSummary {
    if (stopReason) run.stop(stopReason);
    const { summary } = run;
    const features = summary.featuresSynced === undefined ? '' : `, features of ${summary.featuresSynced} customer${summary.featuresSynced === 1 ? '' : 's'}`;
    const counts = `created ${summary.created}, updated ${summary.updated}, unchanged ${summary.unchanged}, orphaned ${summary.orphaned}, failed ${summary.failed}, replayed ${summary.replayed}, duplicates ${summary.duplicates}${features}`;
    if (summary.complete) this.logger.log(`${what} finished: ${counts}`);
    // An abort was asked for; a list that could not be read was logged as an error already.
    else if (summary.stopReason === 'aborted') this.logger.log(`${what} interrupted after ${run.handled} items: ${counts}`);
    else this.logger.warn(`${what} stopped after ${run.handled} items, Stripe's list could not be read: ${counts}`);
    return summary;
  }
}

function emailOf(customer: Stripe.Subscription['customer']): string | null {
  return typeof customer === 'object' && customer !== null && !customer.deleted ? (customer.email ?? null) : null;
}

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new RangeError(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got ${value}); leave it out for ${DEFAULT_CONCURRENCY}.`);
  }
  return value;
}

function checkDays(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_REPLAY_DAYS) {
    throw new RangeError(`days must be a whole number from 1 to ${MAX_REPLAY_DAYS} (got ${value}): Stripe lists events of the last 30 days only.`);
  }
  return value;
}
