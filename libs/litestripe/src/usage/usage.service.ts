import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LITESTRIPE_USAGE_OPTIONS, metricSettings, METRIC_NAME, ResolvedUsageOptions } from '../config/usage-options.js';
import { SubscriptionService } from '../access/subscription.service.js';
import { allowanceOf, UsageAllowance } from './usage-allowance.js';
import type { AccountSubscription } from '../access/account-entitlement.js';
import { UsageCheck, usageCheck } from './usage-check.js';
import { UsageStores } from './usage-stores.js';
import type { UsageCounterKey } from './usage-store.js';
import { resolveSubject, UsageSubject } from './usage-subject.js';
import { MeterEventRepository } from './meter/meter-event.repository.js';
import { MeterEventReporter } from './meter/meter-event.reporter.js';

/** Options of `record()`. */
export interface RecordUsageOptions {
  /** A retry of `record()` with the same key (per subject and metric, remembered 35 days) counts and bills nothing more. */
  idempotencyKey?: string;
}

/** What `record()` did. */
export interface RecordedUsage extends UsageCheck {
  /** The key was already recorded: nothing was added. */
  duplicate: boolean;
  /** The use was queued for Stripe (a metered metric, for a subject with a Stripe customer). */
  metered: boolean;
}

/** Options of `consume()`: what one use costs, and a limit replacing the plans'. */
export interface ConsumeUsageOptions {
  /** @default 1 */
  cost?: number;
  /** Units per period for everyone, instead of the plans' limits (still per seat when the metric is). */
  limit?: number;
}

/** What `consume()` decided. `release()` gives the units back (once), e.g. when the work they paid for failed. */
export interface UsageConsumption {
  granted: boolean;
  cost: number;
  check: UsageCheck;
  allowance: UsageAllowance;
  release(): Promise<void>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Usage limits per period: what a subject (an account) has used of each metric, against its plan's
 * `limits`. Counting is atomic in the metric's store (PostgreSQL, or Redis), so instances never grant
 * together more than the limit. The limits follow the read path: an account's entitling
 * subscriptions, from the entitlement cache.
 *
 * @example
 * await usage.record(user.id, 'exports');                // count a use that happened
 * const { remaining, periodEnd } = await usage.check(user.id, 'api_calls');
 * const meter = await usage.usage(user.id);               // every metric, for a usage meter
 */
@Injectable()
export class UsageService {
  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    @Inject(LITESTRIPE_USAGE_OPTIONS) private readonly options: ResolvedUsageOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly entitlementOptions: ResolvedEntitlementOptions,
    private readonly subscriptions: SubscriptionService,
    private readonly stores: UsageStores,
    private readonly meterEvents: MeterEventRepository,
    private readonly reporter: MeterEventReporter,
  ) {}

  /** The subject's use of `metric` in the current period, against its limit. */
  async check(subject: UsageSubject, metric: string): Promise<UsageCheck> {
    checkedMetric(metric);
    return this.checkIn(await this.standingOf(subject), metric);
  }

  /**
   * Every metric the subject's plans (or the free limits) set a limit for, and every configured
   * metric, sorted by name: what a usage meter in a page shows.
   */
  async usage(subject: UsageSubject): Promise<UsageCheck[]> {
    const standing = await this.standingOf(subject);
    const { catalog } = this.entitlementOptions;
    const entitledPlans = standing.decided.filter((s) => s.access.entitled && s.plan !== null).map((s) => catalog.get(s.plan!)!);
    const metrics = new Set([
      ...this.options.metrics.keys(),
      ...(entitledPlans.length > 0 ? entitledPlans.flatMap((plan) => Object.keys(plan.limits)) : Object.keys(this.options.freeLimits)),
    ]);
    // A plan's `limits` may hold names that are no metric (`'storage (GB)'`, for getEntitlement()): nothing counts them.
    return Promise.all([...metrics].filter((metric) => METRIC_NAME.test(metric)).sort().map((metric) => this.checkIn(standing, metric)));
  }

  /**
   * Counts a use that happened (a background job, an upload), whatever the limit: the answer says
   * whether it went over. A metered metric is also reported to Stripe, durably and once. Give an
   * `idempotencyKey` when the caller may retry.
   */
  async record(subject: UsageSubject, metric: string, quantity = 1, { idempotencyKey }: RecordUsageOptions = {}): Promise<RecordedUsage> {
    checkedMetric(metric);
    checkedQuantity('quantity', quantity);
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
      throw new BadRequestException(`idempotencyKey must be 1 to 200 printable ASCII characters (got ${JSON.stringify(idempotencyKey)}).`);
    }
    const standing = await this.standingOf(subject);
    const allowance = this.allowanceIn(standing, metric);
    const meter = metricSettings(this.options, metric).meter;
    const metered = meter !== null && allowance.customerId !== null;
    if (metered) {
      // Stored before it is counted: a crash in between leaves a use billed and, on the caller's retry, counted.
      await this.meterEvents.store({
        identifier: meterIdentifier(standing.key, metric, idempotencyKey),
        eventName: meter,
        customerId: allowance.customerId!,
        value: quantity,
        occurredAt: standing.now,
      });
    }
    const { used, duplicate } = await this.stores.of(metric).add(counterKey(standing, allowance), quantity, idempotencyKey ?? null);
    if (metered && !duplicate) void this.reporter.reportNow();
    return { ...usageCheck(allowance, used, this.options.nearLimitRatio), duplicate, metered };
  }

  /**
   * Takes `cost` units if they fit within the limit, atomically across instances: what
   * `@UsageLimit()` does before a handler runs. Nothing is taken when they do not fit.
   */
  async consume(subject: UsageSubject, metric: string, { cost = 1, limit }: ConsumeUsageOptions = {}): Promise<UsageConsumption> {
    checkedMetric(metric);
    checkedQuantity('cost', cost);
    if (limit !== undefined && !(typeof limit === 'number' && limit >= 0)) throw new BadRequestException(`limit must be a number >= 0 (got ${JSON.stringify(limit)}).`);
    const standing = await this.standingOf(subject);
    const allowance = this.allowanceIn(standing, metric, limit);
    const key = counterKey(standing, allowance);
    const store = this.stores.of(metric);
    const { granted, used } = allowance.source === 'none' ? { granted: false, used: await store.used(key) } : await store.consume(key, cost, allowance.limit);
    let released = false;
    return {
      granted,
      cost,
      check: usageCheck(allowance, used, this.options.nearLimitRatio),
      allowance,
      release: async () => {
        if (!granted || released) return;
        released = true;
        await store.release(key, cost);
      },
    };
  }

  /** The subject's subscriptions, decided once at one instant, for every metric asked of them. */
  private async standingOf(subject: UsageSubject): Promise<Standing> {
    const { accountRef, key } = resolveSubject(subject);
    const decided = await this.subscriptions.listSubscriptions(accountRef);
    return { key, decided, now: this.entitlementOptions.clock.now() };
  }

  private allowanceIn(standing: Standing, metric: string, routeLimit?: number): UsageAllowance {
    return allowanceOf(metric, standing.decided, metricSettings(this.options, metric), this.options.freeLimits, this.entitlementOptions.catalog, standing.now, routeLimit);
  }

  private async checkIn(standing: Standing, metric: string): Promise<UsageCheck> {
    const allowance = this.allowanceIn(standing, metric);
    return usageCheck(allowance, await this.stores.of(metric).used(counterKey(standing, allowance)), this.options.nearLimitRatio);
  }
}

/** A subject as usage reads it: its stored key, and its subscriptions decided at `now`. */
interface Standing {
  key: string;
  decided: readonly AccountSubscription[];
  now: Date;
}

function counterKey(standing: Standing, allowance: UsageAllowance): UsageCounterKey {
  return { subject: standing.key, metric: allowance.metric, period: allowance.period };
}

/** Stable for a key (a retry reports the same event), random without one; within Stripe's 100 characters. */
function meterIdentifier(subjectKey: string, metric: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return `ls_${randomUUID()}`;
  return `ls_${createHash('sha256').update(`${subjectKey}\n${metric}\n${idempotencyKey}`).digest('hex').slice(0, 48)}`;
}

function checkedMetric(metric: unknown): string {
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) {
    throw new BadRequestException(`Not a metric name: ${JSON.stringify(metric)} (letters, digits, _ . : and -, at most 100).`);
  }
  return metric;
}

function checkedQuantity(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new BadRequestException(`${name} must be a whole number of at least 1 (got ${JSON.stringify(value)}).`);
}
