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
import { GuestTokenReader, isGuestTokenSubject } from '../access/guest-token.reader.js';
import { MeterEventRepository } from './meter/meter-event.repository.js';
import { MeterEventReporter } from './meter/meter-event.reporter.js';
import { CreditBalances } from './credit-balances.js';

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
  /** Where the units came from: the period's allowance, or credits (once the allowance is used up); null when refused. */
  paidWith: 'allowance' | 'credits' | null;
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
 * subscriptions and lifetime plans, from the entitlement cache. Credits bought in credit packs are
 * spent once the period's allowance is used up (the allowance expires at the period's end, credits
 * never), and for a subject that has no allowance at all.
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
    private readonly credits: CreditBalances,
    private readonly guests: GuestTokenReader,
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
    const entitledPlans = [...standing.decided.filter((s) => s.access.entitled && s.plan !== null).map((s) => s.plan!), ...standing.lifetimePlans].map((plan) => catalog.get(plan)!);
    const metrics = new Set([
      ...this.options.metrics.keys(),
      ...catalog.creditMetrics,
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
    return { ...usageCheck(allowance, used, this.options.nearLimitRatio, await this.creditsOf(standing, metric)), duplicate, metered };
  }

  /**
   * Takes `cost` units if they fit within the limit, atomically across instances: what
   * `@UsageLimit()` does before a handler runs. Past the limit, `cost` credits are spent instead when
   * the subject has them (a request is paid from one or the other, never split). Nothing is taken
   * when neither suffices.
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
    const sellsCredits = this.entitlementOptions.catalog.creditMetrics.has(metric);
    if (granted || !sellsCredits) {
      const credits = granted && sellsCredits ? await this.credits.balance(standing.key, metric) : 0;
      return this.consumption(granted ? 'allowance' : null, cost, usageCheck(allowance, used, this.options.nearLimitRatio, credits), allowance, () => store.release(key, cost));
    }
    const spent = await this.credits.spend(standing.key, metric, cost);
    const check = usageCheck(allowance, used, this.options.nearLimitRatio, spent.balance);
    return this.consumption(spent.granted ? 'credits' : null, cost, check, allowance, () => this.credits.refund(standing.key, metric, cost));
  }

  private consumption(paidWith: UsageConsumption['paidWith'], cost: number, check: UsageCheck, allowance: UsageAllowance, giveBack: () => Promise<void>): UsageConsumption {
    let released = false;
    return {
      granted: paidWith !== null,
      paidWith,
      cost,
      check,
      allowance,
      release: async () => {
        if (paidWith === null || released) return;
        released = true;
        await giveBack();
      },
    };
  }

  /** The subject's subscriptions and lifetime plans, decided once at one instant, for every metric asked of them. */
  private async standingOf(subject: UsageSubject): Promise<Standing> {
    const { accountRef, key } = resolveSubject(isGuestTokenSubject(subject) ? (await this.guests.guestOf(subject)).accountRef : subject);
    const { subscriptions, entitlement } = await this.subscriptions.getStanding(accountRef);
    return { key, decided: subscriptions, lifetimePlans: entitlement.lifetimePlans, now: this.entitlementOptions.clock.now() };
  }

  private allowanceIn(standing: Standing, metric: string, routeLimit?: number): UsageAllowance {
    const settings = metricSettings(this.options, metric);
    return allowanceOf(metric, standing.decided, settings, this.options.freeLimits, this.entitlementOptions.catalog, standing.now, routeLimit, standing.lifetimePlans);
  }

  private async checkIn(standing: Standing, metric: string): Promise<UsageCheck> {
    const allowance = this.allowanceIn(standing, metric);
    const [used, credits] = await Promise.all([this.stores.of(metric).used(counterKey(standing, allowance)), this.creditsOf(standing, metric)]);
    return usageCheck(allowance, used, this.options.nearLimitRatio, credits);
  }

  private creditsOf(standing: Standing, metric: string): Promise<number> {
    return this.entitlementOptions.catalog.creditMetrics.has(metric) ? this.credits.balance(standing.key, metric) : Promise.resolve(0);
  }
}

/** A subject as usage reads it: its stored key, and its subscriptions and lifetime plans decided at `now`. */
interface Standing {
  key: string;
  decided: readonly AccountSubscription[];
  lifetimePlans: readonly string[];
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
