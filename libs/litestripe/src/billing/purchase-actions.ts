import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { DataSource, IsNull } from 'typeorm';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { StripeEventRef } from '../events/litestripe-event.payloads.js';
import { AccountReferenceResolver } from '../state/account-reference.resolver.js';
import { purchaseEvents, PurchaseWriter } from '../state/purchase.writer.js';
import { apiEventRef } from '../state/api-event-ref.js';
import { checkoutPatch, listPurchaseLines, PurchaseCheckout } from '../state/purchase-checkout.js';
import { answerTime } from '../state/subscription-object.applier.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { inRefreshLane } from '../stripe/stripe-request-lane.js';
import { BillingActionLimiter } from './billing-action.limiter.js';
import { CustomerRegistry } from './customer.registry.js';
import { checkedAccountReference } from './subscription-target.js';
import { checkHttpUrls } from './http-urls.js';

/** What `createPurchaseSession` needs. Give exactly one of `lifetimePlan`, `creditPack` or `price`. */
export interface PurchaseSessionRequest {
  accountRef: string;
  /** A plan sold for good: its first lifetime price of the current mode. */
  lifetimePlan?: string;
  /** A configured credit pack: its first price of the current mode. */
  creditPack?: string;
  /** A one-time price id the catalogue sells (a plan's `lifetimePrices` or a credit pack's `prices`). */
  price?: string;
  /** Credit packs bought at once (a lifetime plan is bought once). @default 1 */
  quantity?: number;
  /** Where Stripe sends the buyer after paying; add `?session_id={CHECKOUT_SESSION_ID}` for `syncCheckoutSession`. */
  successUrl: string;
  cancelUrl: string;
  allowPromotionCodes?: boolean;
  /** Put on the checkout session and its PaymentIntent. */
  metadata?: Record<string, string>;
  /** Sent as Stripe's idempotency key. @default a fresh one per call, reused by retries */
  idempotencyKey?: string;
}

/**
 * One-time purchases: Checkout in `payment` mode for what the catalogue sells once, its success-page
 * sync, and support's view (purchases that named no usable account, and claiming them).
 */
@Injectable()
export class PurchaseActions {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LITESTRIPE_OPTIONS) private readonly base: ResolvedLitestripeOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly customers: CustomerRegistry,
    private readonly limits: BillingActionLimiter,
    private readonly writer: PurchaseWriter,
    private readonly references: AccountReferenceResolver,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  async createPurchaseSession(request: PurchaseSessionRequest): Promise<Stripe.Checkout.Session> {
    const accountRef = checkedAccountReference(request.accountRef);
    checkHttpUrls({ successUrl: request.successUrl, cancelUrl: request.cancelUrl });
    const price = this.priceFor(request);
    const lifetime = this.options.catalog.oneTimeGrantOf(price)?.kind === 'lifetime';
    const quantity = request.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1 || (lifetime && quantity !== 1)) {
      throw new BadRequestException(lifetime ? `A lifetime plan is bought once: quantity must be 1 (got ${request.quantity}).` : `quantity must be a whole number of at least 1 (got ${request.quantity}).`);
    }
    await this.limits.take(accountRef);
    const customer = await this.customers.findOrCreate(accountRef);
    const metadata = request.metadata ?? {};
    return this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        customer,
        client_reference_id: accountRef,
        line_items: [{ price, quantity }],
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        ...(request.allowPromotionCodes !== undefined ? { allow_promotion_codes: request.allowPromotionCodes } : {}),
        metadata,
        // For the dashboard: which account paid. Grants are read from the line items, never from metadata.
        payment_intent_data: { metadata: { ...metadata, [this.base.accountReferenceMetadataKey]: accountRef } },
      },
      { idempotencyKey: request.idempotencyKey ?? `litestripe-purchase-${randomUUID()}` },
    );
  }

  /**
   * The success page of a payment-mode session: once complete, reads its line items and writes the
   * purchase at once (granted when paid; `pending` while a delayed method settles).
   */
  async syncSession(session: Stripe.Response<Stripe.Checkout.Session>): Promise<OneTimePurchase | null> {
    if (session.status !== 'complete') return null;
    const lines = await inRefreshLane(() => listPurchaseLines(this.stripe, session.id));
    const customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null);
    const paymentRef = (typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id) ?? session.id;
    const reference = await this.references.resolve(session.client_reference_id, {
      source: 'checkout',
      checkoutSessionId: session.id,
      subscriptionId: null,
      paymentRef,
      customerId,
      livemode: session.livemode,
      currentAccountRef: null,
    });
    const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
    const checkout: PurchaseCheckout = {
      paymentRef,
      sessionId: session.id,
      customerId,
      accountRef: reference.accountRef,
      paymentStatus: paid ? 'paid' : 'pending',
      amount: session.amount_total,
      currency: session.currency,
      livemode: session.livemode,
      sessionCreated: session.created,
      lines,
    };
    // Written as its webhook will be (which then finds nothing left to change), named by the API request.
    const ref = apiEventRef(session.lastResponse?.requestId, session.id, 'checkout.session.retrieve', answerTime(session.lastResponse?.headers, this.options.clock), session.livemode);
    const applied = await this.writer.applyAlone(ref, paymentRef, session.livemode, (row) => checkoutPatch(row, checkout, this.options.catalog));
    const purchase = applied?.current ?? (await this.dataSource.getRepository(OneTimePurchase).findOneBy({ paymentRef }));
    // A session that sells nothing the catalogue sells once has no purchase (a row may hold only a refund).
    return purchase?.checkoutSessionId ? purchase : null;
  }

  /** Purchases of the module's mode; `unlinked` only those whose checkout named no usable account (support's list). */
  listPurchases({ accountRef, unlinked = false, limit = 100 }: { accountRef?: string; unlinked?: boolean; limit?: number } = {}): Promise<OneTimePurchase[]> {
    if (accountRef !== undefined && unlinked) throw new BadRequestException('Give accountRef or unlinked, not both.');
    return this.dataSource.getRepository(OneTimePurchase).find({
      where: { livemode: this.options.livemode, ...(accountRef !== undefined ? { accountRef: checkedAccountReference(accountRef) } : {}), ...(unlinked ? { accountRef: IsNull() } : {}) },
      order: { createdAt: 'DESC', paymentRef: 'ASC' },
      take: limit,
    });
  }

  /**
   * Support links a purchase whose checkout named no usable account to `accountRef` (validated by
   * `validateClientReference`, source `orphan_claim`): what it grants becomes the account's, with the
   * same domain events. Claiming again for the same account changes nothing; for another, 409.
   */
  async claimPurchase(paymentRef: string, accountRef: string): Promise<{ purchase: OneTimePurchase; alreadyClaimed: boolean }> {
    const account = checkedAccountReference(accountRef);
    const found = await this.dataSource.getRepository(OneTimePurchase).findOneBy({ paymentRef });
    if (!found || found.checkoutSessionId === null) throw new NotFoundException(`No purchase ${JSON.stringify(paymentRef)}.`);
    const verdict = await this.references.resolve(account, {
      source: 'orphan_claim',
      checkoutSessionId: found.checkoutSessionId,
      subscriptionId: null,
      paymentRef,
      customerId: found.customerId,
      livemode: found.livemode,
      currentAccountRef: found.accountRef,
    });
    if (!verdict.accountRef) throw new UnprocessableEntityException(`validateClientReference rejected account ${account}; purchase ${paymentRef} stays unlinked.`);
    const ref = new StripeEventRef(`claim_${paymentRef}_${account}`, 'api.purchase.claim', Math.floor(this.options.clock.now().getTime() / 1000), found.livemode, null);
    const change = await this.writer.applyAlone(
      ref,
      paymentRef,
      found.livemode,
      (row) => {
        if (row.accountRef !== null && row.accountRef !== account) throw new ConflictException(`Purchase ${paymentRef} is already linked to account ${row.accountRef}.`);
        return row.accountRef === null ? { accountRef: account } : null;
      },
      // For the account, the purchase is new: its events say so as a first payment would (completed, then what refunds already took back).
      (applied, claimRef) => purchaseEvents({ ...applied, previous: Object.assign(new OneTimePurchase(), applied.previous, { paymentStatus: null }) }, claimRef),
    );
    const purchase = change?.current ?? (await this.dataSource.getRepository(OneTimePurchase).findOneByOrFail({ paymentRef }));
    return { purchase, alreadyClaimed: change === null };
  }

  private priceFor(request: PurchaseSessionRequest): string {
    const { catalog } = this.options;
    const given = [request.lifetimePlan, request.creditPack, request.price].filter((v) => v !== undefined);
    if (given.length !== 1) throw new BadRequestException('Give exactly one of lifetimePlan, creditPack or price.');
    const mode = catalog.livemode ? 'live' : 'test';
    if (request.price !== undefined) {
      const prices = [...catalog.plans.flatMap((plan) => catalog.lifetimePricesOf(plan)), ...catalog.creditPacks.flatMap((pack) => catalog.packPricesOf(pack))];
      if (prices.includes(request.price)) return request.price;
      throw new BadRequestException(`Price ${JSON.stringify(request.price)} is no lifetime plan's or credit pack's price in ${mode} mode, so it would grant nothing. Add it to a plan's lifetimePrices or a credit pack.`);
    }
    if (request.lifetimePlan !== undefined) {
      const plan = catalog.get(request.lifetimePlan);
      if (!plan) throw new BadRequestException(`Unknown plan "${request.lifetimePlan}"; configured plans: ${catalog.idList()}.`);
      const price = catalog.lifetimePricesOf(plan)[0];
      if (!price) throw new BadRequestException(`Plan "${plan.id}" is not sold for good in ${mode} mode: give it lifetimePrices.${mode}.`);
      return price;
    }
    const pack = catalog.creditPack(request.creditPack!);
    if (!pack) throw new BadRequestException(`Unknown credit pack "${request.creditPack}"; configured packs: ${catalog.creditPacks.map((p) => p.id).join(', ') || 'none'}.`);
    const price = catalog.packPricesOf(pack)[0];
    if (!price) throw new BadRequestException(`Credit pack "${pack.id}" has no price in ${mode} mode: give it prices.${mode}.`);
    return price;
  }
}
