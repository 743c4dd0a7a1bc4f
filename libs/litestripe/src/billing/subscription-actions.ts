import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import type { PlanDefinition } from '../config/plan-catalog.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { accountSubscriptions } from '../access/account-entitlement.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { actionKey } from './idempotency-key.js';
import { BillingActionLimiter } from './billing-action.limiter.js';
import { PlanPricingReader } from '../access/plan-pricing.js';
import { SubscriptionObjectApplier } from '../state/subscription-object.applier.js';
import { SubscriptionRowsReader } from '../access/subscription-rows.reader.js';
import { readTarget, SubscriptionTarget } from './subscription-target.js';

/** How Stripe bills a mid-period change (`proration_behavior`). @default 'create_prorations' */
export type Proration = Stripe.SubscriptionUpdateParams.ProrationBehavior;

const ENDED = new Set(['canceled', 'incomplete_expired']);

/** What a plan change moves, as `SubscriptionActions.planChange` reads it. */
export interface PlanChange {
  row: StripeSubscription;
  /** The subscription as Stripe has it now. */
  current: Stripe.Subscription;
  /** The licensed item whose price changes. */
  item: Stripe.SubscriptionItem;
  /** The plan's price the item moves to (the item's own when it is on it already). */
  price: Stripe.Price;
  /** The update's `items`: the licensed item's new price, and the metered items the new plan bills instead of the old plan's. */
  items: PlanChangeItem[];
}

/** An entry of `items`, valid both for a subscription update and for an invoice preview's `subscription_details`. */
export type PlanChangeItem = Pick<Stripe.SubscriptionUpdateParams.Item, 'id' | 'price' | 'quantity' | 'deleted'>;

/**
 * Cancel, resume, change plan, set quantity: each one Stripe call (plus a read where the item id is
 * needed) through the rate-limited client with an idempotency key, and the local row updated from
 * Stripe's answer at once, so the account sees the change on its next request. An action that has
 * something to change counts against the account's `billingActionLimit` (the subscription's, if
 * it has no account) before its first call to Stripe.
 */
@Injectable()
export class SubscriptionActions {
  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly reader: SubscriptionRowsReader,
    private readonly applier: SubscriptionObjectApplier,
    private readonly pricing: PlanPricingReader,
    private readonly limits: BillingActionLimiter,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  async cancel(target: SubscriptionTarget, { atPeriodEnd = true }: { atPeriodEnd?: boolean } = {}): Promise<StripeSubscription> {
    const row = await this.find(target);
    if (row.status && ENDED.has(row.status)) return row;
    if (atPeriodEnd && row.cancelAtPeriodEnd) return row;
    await this.countAction(row);
    if (atPeriodEnd) {
      const params = { cancel_at_period_end: true };
      const answer = await this.stripe.subscriptions.update(row.id, params, { idempotencyKey: actionKey('cancel', row.id, params, row) });
      return this.applier.apply(answer, { operation: 'subscription.update', observed: row });
    }
    // A DELETE is idempotent by nature; a second one is refused by Stripe as already canceled.
    const answer = await this.stripe.subscriptions.cancel(row.id).catch(async (error: unknown) => {
      if (isAlreadyCanceled(error)) return this.stripe.subscriptions.retrieve(row.id);
      throw error;
    });
    return this.applier.apply(answer, { operation: 'subscription.cancel', observed: row });
  }

  /** Undoes a scheduled cancellation and a collection pause, or resumes a `paused` subscription. */
  async resume(target: SubscriptionTarget): Promise<StripeSubscription> {
    const row = await this.find(target);
    if (row.status && ENDED.has(row.status)) {
      throw new ConflictException(`Subscription ${row.id} has ended (${row.status}) and cannot be resumed; start a new checkout instead.`);
    }
    if (row.status === 'paused') {
      await this.countAction(row);
      const answer = await this.stripe.subscriptions.resume(row.id, {}, { idempotencyKey: actionKey('resume', row.id, {}, row) });
      return this.applier.apply(answer, { operation: 'subscription.resume', observed: row });
    }
    const params: Stripe.SubscriptionUpdateParams = {};
    if (row.cancelAtPeriodEnd) params.cancel_at_period_end = false;
    else if (row.cancelAt) params.cancel_at = '';
    if (row.pauseBehavior !== null) params.pause_collection = '';
    if (Object.keys(params).length === 0) return row;
    await this.countAction(row);
    const answer = await this.stripe.subscriptions.update(row.id, params, { idempotencyKey: actionKey('resume', row.id, params, row) });
    return this.applier.apply(answer, { operation: 'subscription.update', observed: row });
  }

  /** Moves the subscription to another plan's price (the one with the same billing interval, unless `price` is given). */
  async changePlan(target: SubscriptionTarget, plan: string, options: { proration?: Proration; price?: string } = {}): Promise<StripeSubscription> {
    const change = await this.planChange(target, plan, { price: options.price }, (row) => this.countAction(row));
    const { row } = change;
    if (change.item.price.id === change.price.id) return row;
    const params: Stripe.SubscriptionUpdateParams = { items: change.items, proration_behavior: options.proration ?? 'create_prorations' };
    const answer = await this.stripe.subscriptions.update(row.id, params, { idempotencyKey: actionKey('change-plan', row.id, params, row) });
    return this.applier.apply(answer, { operation: 'subscription.update', observed: row });
  }

  /**
   * What moving a subscription to `plan` changes, read from Stripe: the row, the subscription, its
   * licensed item, the plan's price for it (of the same billing interval unless `price` names one)
   * and the `items` of the update. Refuses an unknown plan or price (400) and an ended subscription
   * (409). `beforeStripe` runs once the row is known, before the first call to Stripe.
   */
  async planChange(
    target: SubscriptionTarget,
    plan: string,
    options: { price?: string; quantity?: number } = {},
    beforeStripe: (row: StripeSubscription) => Promise<void> = async () => {},
  ): Promise<PlanChange> {
    const definition = this.options.catalog.get(plan);
    if (!definition) throw new BadRequestException(`Unknown plan "${plan}"; configured plans: ${this.options.catalog.idList()}.`);
    const row = await this.find(target);
    this.refuseEnded(row, 'change its plan');
    await beforeStripe(row);
    const current = await this.stripe.subscriptions.retrieve(row.id);
    const item = licensedItem(current);
    const prices = await this.pricing.pricesOf(definition);
    const price = options.price
      ? prices.find((p) => p.id === options.price || p.lookup_key === options.price)
      : (prices.find((p) => sameInterval(p, item.price)) ?? prices[0]);
    if (!price) throw new BadRequestException(`Price ${options.price} is not one of plan "${plan}"'s prices (${prices.map((p) => p.id).join(', ')}).`);
    // Stripe sets a changed item's quantity to 1 unless it is sent: the seats go along.
    const quantity = options.quantity ?? item.quantity;
    const licensed = { id: item.id, price: price.id, ...(quantity === undefined ? {} : { quantity }) };
    return { row, current, item, price, items: [licensed, ...this.meteredItemChanges(current, definition)] };
  }

  /** The new plan's metered prices replace the old plan's: metered items it does not bill are removed, its own added. */
  private meteredItemChanges(current: Stripe.Subscription, plan: PlanDefinition): PlanChangeItem[] {
    const wanted = this.options.catalog.meteredPricesOf(plan);
    const metered = current.items.data.filter(isMetered);
    return [
      ...metered.filter((item) => !wanted.includes(item.price.id)).map((item) => ({ id: item.id, deleted: true })),
      ...wanted.filter((price) => !metered.some((item) => item.price.id === price)).map((price) => ({ price })),
    ];
  }

  /** Sets the quantity (seats) of the subscription's licensed item. */
  async setQuantity(target: SubscriptionTarget, quantity: number, options: { proration?: Proration } = {}): Promise<StripeSubscription> {
    if (!Number.isInteger(quantity) || quantity < 1) throw new BadRequestException(`Quantity must be a whole number of at least 1 (got ${quantity}).`);
    const row = await this.find(target);
    this.refuseEnded(row, 'change its quantity');
    if (row.quantity === quantity) return row;
    await this.countAction(row);
    const item = licensedItem(await this.stripe.subscriptions.retrieve(row.id));
    const params: Stripe.SubscriptionUpdateParams = { items: [{ id: item.id, quantity }], proration_behavior: options.proration ?? 'create_prorations' };
    const answer = await this.stripe.subscriptions.update(row.id, params, { idempotencyKey: actionKey('quantity', row.id, params, row) });
    return this.applier.apply(answer, { operation: 'subscription.update', observed: row });
  }

  /** The row an action is for: the subscription named, or the account's most relevant one that has not ended. */
  async find(target: SubscriptionTarget): Promise<StripeSubscription> {
    const named = readTarget(target);
    if ('subscriptionId' in named) {
      const row = await this.reader.byId(named.subscriptionId);
      if (!row) throw new NotFoundException(`Subscription ${named.subscriptionId} is not known here; is the webhook receiving its events?`);
      return row;
    }
    const { catalog, policy, clock } = this.options;
    const candidates = accountSubscriptions(await this.reader.subscriptionsOf(named.accountRef), clock.now(), policy, catalog).filter(
      (s) => !s.subscription.status || !ENDED.has(s.subscription.status),
    );
    if (candidates.length === 0) throw new NotFoundException(`Account ${named.accountRef} has no subscription that has not ended.`);
    return candidates[0].subscription;
  }

  private countAction(row: StripeSubscription): Promise<void> {
    return this.limits.take(row.accountRef ?? row.id);
  }

  private refuseEnded(row: StripeSubscription, what: string): void {
    if (row.status && ENDED.has(row.status)) throw new ConflictException(`Subscription ${row.id} has ended (${row.status}); cannot ${what}.`);
  }
}

function sameInterval(a: Stripe.Price, b: Stripe.Price): boolean {
  return a.recurring?.interval === b.recurring?.interval && a.recurring?.interval_count === b.recurring?.interval_count;
}

function isAlreadyCanceled(error: unknown): boolean {
  const e = error as { type?: string; message?: string } | null;
  return e?.type === 'StripeInvalidRequestError' && /already been canceled|status: canceled|canceled subscription/i.test(e.message ?? '');
}

/** The item seats and plan changes apply to: the first licensed one (a metered item takes no quantity). */
function licensedItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem {
  return subscription.items.data.find((item) => !isMetered(item)) ?? subscription.items.data[0];
}

function isMetered(item: Stripe.SubscriptionItem): boolean {
  return item.price.recurring?.usage_type === 'metered';
}
