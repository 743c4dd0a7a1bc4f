import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import type { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { inRefreshLane } from '../stripe/stripe-request-lane.js';
import { filterMetadata } from '../common/account-reference.js';
import { AccountReferenceResolver } from '../state/account-reference.resolver.js';
import { BillingActionLimiter } from './billing-action.limiter.js';
import { CustomerRegistry } from './customer.registry.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { PlanPricingReader } from '../access/plan-pricing.js';
import { SubscriptionObjectApplier } from '../state/subscription-object.applier.js';
import { checkedAccountReference } from './subscription-target.js';
import type { OneTimePurchase } from '../entities/one-time-purchase.entity.js';
import { PurchaseActions } from './purchase-actions.js';
import { checkHttpUrls } from './http-urls.js';
import { CustomerFeaturesRefresher } from '../state/customer-features.refresher.js';
import { GUEST_METADATA_KEY, guestIdInMetadata } from '../common/guest-reference.js';
import { GuestRecords } from '../guests/guest.records.js';
import { GuestCheckout, GuestCheckoutCompletion } from '../guests/guest-checkout.completion.js';
import { GuestTokenReader } from '../access/guest-token.reader.js';

/** What `createCheckoutSession` needs. Give exactly one of `plan`, `price` or `lookupKey`. */
export interface CheckoutSessionRequest {
  accountRef: string;
  /** A configured plan: its first price of the current mode (or of its lookup keys) is sold. */
  plan?: string;
  /** A Stripe price id. */
  price?: string;
  /** A Stripe price lookup key. */
  lookupKey?: string;
  /** Where Stripe sends the customer after paying; add `?session_id={CHECKOUT_SESSION_ID}` for `syncCheckoutSession`. */
  successUrl: string;
  cancelUrl: string;
  trialDays?: number;
  /** Seats. @default 1 */
  quantity?: number;
  allowPromotionCodes?: boolean;
  /** Put on the checkout session and on the subscription. */
  metadata?: Record<string, string>;
  /** Sent as Stripe's idempotency key (e.g. the id of the form submission). @default a fresh one per call, reused by retries */
  idempotencyKey?: string;
}

/** Options of `createBillingPortalSession`: a portal configuration other than the default, the portal's language. */
export interface BillingPortalSessionOptions {
  configuration?: string;
  locale?: Stripe.BillingPortal.SessionCreateParams.Locale;
}

/** Options of `createGuestBillingPortalSession`: the portal's, and the client that presented the token (e.g. the request's IP), for `guests.tokenAttempts`. */
export interface GuestPortalSessionOptions extends BillingPortalSessionOptions {
  clientKey?: string;
}

/** What `syncCheckoutSession` found. */
export interface CheckoutSync {
  /** `open` (not paid yet), `complete` or `expired`. */
  status: Stripe.Checkout.Session.Status | null;
  /** The local row after the sync; null until the session is complete (and for a one-time purchase). */
  subscription: StripeSubscription | null;
  /** For a payment-mode session (a lifetime plan, a credit pack): the purchase once complete; else null. */
  purchase: OneTimePurchase | null;
  /** The account, or for a guest checkout `guest:<guestId>`. */
  accountRef: string | null;
  /** For a guest checkout (`createGuestCheckoutSession`) once complete: the guest, and its access token on the first sync only. */
  guest: GuestCheckout | null;
}

/** What `createGuestCheckoutSession` needs: a checkout's request without an account. Give exactly one of `plan`, `price` or `lookupKey`. */
export interface GuestCheckoutSessionRequest extends Omit<CheckoutSessionRequest, 'accountRef'> {
  /** Pre-fills the checkout's email (the visitor may change it); the email paid with is the guest's. */
  email?: string;
}

/**
 * Checkout, its success-page sync, and the billing portal. Each counts against the account's
 * `billingActionLimit` once its arguments are checked, before any call to Stripe.
 */
@Injectable()
export class CheckoutActions {
  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly base: ResolvedLitestripeOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    private readonly customers: CustomerRegistry,
    private readonly pricing: PlanPricingReader,
    private readonly applier: SubscriptionObjectApplier,
    private readonly references: AccountReferenceResolver,
    private readonly limits: BillingActionLimiter,
    private readonly purchases: PurchaseActions,
    private readonly features: CustomerFeaturesRefresher,
    private readonly guests: GuestCheckoutCompletion,
    private readonly guestTokens: GuestTokenReader,
    private readonly guestRecords: GuestRecords,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  async createCheckoutSession(request: CheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    const accountRef = checkedAccountReference(request.accountRef);
    this.checkSessionRequest(request);
    await this.limits.take(accountRef);
    const price = await this.priceFor(request);
    const customer = await this.customers.findOrCreate(accountRef);
    return this.createSession(request, price, { customer, client_reference_id: accountRef }, { [this.base.accountReferenceMetadataKey]: accountRef });
  }

  /**
   * A Checkout Session for a visitor without an account: the module marks it (metadata) as a guest
   * checkout, and its success page (`syncCheckoutSession`) issues the guest's access token. Stripe
   * creates the customer. Not counted as a billing action (there is no account): rate-limit the
   * route that calls it, as any form open to visitors.
   */
  async createGuestCheckoutSession(request: GuestCheckoutSessionRequest): Promise<Stripe.Checkout.Session> {
    this.checkSessionRequest(request);
    if (request.email !== undefined && (typeof request.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(request.email) || request.email.length > 512)) {
      throw new BadRequestException('email must be an email address (it pre-fills the checkout), or be left out.');
    }
    const price = await this.priceFor(request);
    const guestId = randomBytes(16).toString('base64url');
    return this.createSession(request, price, request.email ? { customer_email: request.email } : {}, { [GUEST_METADATA_KEY]: guestId });
  }

  private checkSessionRequest(request: Omit<CheckoutSessionRequest, 'accountRef'>): void {
    checkHttpUrls({ successUrl: request.successUrl, cancelUrl: request.cancelUrl });
    const quantity = request.quantity ?? 1;
    if (!Number.isInteger(quantity) || quantity < 1) throw new BadRequestException(`quantity must be a whole number of at least 1 (got ${request.quantity}).`);
    if (request.trialDays !== undefined && (!Number.isInteger(request.trialDays) || request.trialDays < 1)) {
      throw new BadRequestException(`trialDays must be a whole number of days of at least 1 (got ${request.trialDays}).`);
    }
    // The module's own marks decide who a subscription belongs to: the host's metadata may not set them.
    const reserved = Object.keys(request.metadata ?? {}).find((key) => key === GUEST_METADATA_KEY || key === this.base.accountReferenceMetadataKey);
    if (reserved) throw new BadRequestException(`metadata may not set "${reserved}": the module sets it to link the subscription.`);
  }

  private createSession(
    request: Omit<CheckoutSessionRequest, 'accountRef'>,
    price: string,
    payer: Pick<Stripe.Checkout.SessionCreateParams, 'customer' | 'client_reference_id' | 'customer_email'>,
    link: Record<string, string>,
  ): Promise<Stripe.Checkout.Session> {
    const metered = this.meteredPricesFor(request, price);
    const metadata = request.metadata ?? {};
    return this.stripe.checkout.sessions.create(
      {
        mode: 'subscription',
        ...payer,
        // A metered price is billed for the use reported, after the period: Stripe takes no quantity for it.
        line_items: [{ price, quantity: request.quantity ?? 1 }, ...metered.map((meteredPrice) => ({ price: meteredPrice }))],
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        ...(request.allowPromotionCodes !== undefined ? { allow_promotion_codes: request.allowPromotionCodes } : {}),
        // A guest's mark is on the session too: its completion event is how the webhook tells a guest from an orphan.
        metadata: link[GUEST_METADATA_KEY] ? { ...metadata, ...link } : metadata,
        subscription_data: {
          // Every later subscription event carries the account (or guest), even if the checkout event is lost.
          metadata: { ...metadata, ...link },
          ...(request.trialDays ? { trial_period_days: request.trialDays } : {}),
        },
      },
      { idempotencyKey: request.idempotencyKey ?? `litestripe-checkout-${randomUUID()}` },
    );
  }

  /**
   * For the success page: reads the session from Stripe and, once it is complete, writes its
   * subscription and account link (or, for a payment-mode session, its purchase) locally at once, as the webhooks will later (they then find
   * nothing left to change). Give `accountRef` to refuse a session of another account. Its reads
   * decide access, so they use the rate limiter's refresh lane; they count as a billing action of
   * `accountRef` (of the session, without one).
   */
  async syncCheckoutSession(sessionId: string, { accountRef }: { accountRef?: string } = {}): Promise<CheckoutSync> {
    if (typeof sessionId !== 'string' || !/^cs_[A-Za-z0-9_]+$/.test(sessionId)) throw new BadRequestException(`Not a Checkout Session id: ${JSON.stringify(sessionId)}.`);
    await this.limits.take(accountRef === undefined ? sessionId : checkedAccountReference(accountRef));
    const session = await inRefreshLane(() => this.stripe.checkout.sessions.retrieve(sessionId, { expand: ['subscription'] }));
    if (session.mode !== 'subscription' && session.mode !== 'payment') throw new BadRequestException(`Checkout Session ${sessionId} is neither a subscription's nor a purchase's (mode ${session.mode}).`);
    const guestId = session.mode === 'subscription' && !session.client_reference_id ? guestIdInMetadata(session.metadata) : null;
    if (accountRef !== undefined && guestId) {
      throw new ForbiddenException(`Checkout Session ${sessionId} is a guest's: sync it without accountRef, then link the guest to the account with linkGuest(token, accountRef).`);
    }
    if (accountRef !== undefined && session.client_reference_id !== accountRef) {
      throw new ForbiddenException(`Checkout Session ${sessionId} belongs to another account.`);
    }
    if (session.mode === 'payment') {
      const purchase = await this.purchases.syncSession(session);
      return { status: session.status, subscription: null, purchase, accountRef: purchase?.accountRef ?? session.client_reference_id, guest: null };
    }
    const subscription = session.subscription;
    if (session.status !== 'complete' || !subscription) return { status: session.status, subscription: null, purchase: null, accountRef: session.client_reference_id, guest: null };
    const answer = typeof subscription === 'string' ? await inRefreshLane(() => this.stripe.subscriptions.retrieve(subscription)) : subscription;
    const customerId = typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null);
    if (guestId) return this.syncGuestCheckout(session, answer, guestId, customerId);
    const reference = await this.references.resolve(session.client_reference_id, {
      source: 'checkout',
      checkoutSessionId: session.id,
      subscriptionId: answer.id,
      customerId,
      livemode: session.livemode,
    });
    // No customer link from here: a checkout this module created already used the account's customer.
    const row = await this.applier.apply(answer, {
      operation: 'checkout.session.retrieve',
      checkout: { customerId, accountRef: reference.accountRef, livemode: session.livemode, metadata: filterMetadata(session.metadata ?? {}, this.base.metadataKeys) },
    });
    // Stripe's features of the new subscription count at once, not when their summary webhook arrives.
    if (customerId && this.options.catalog.readsStripeFeatures) await inRefreshLane(() => this.features.refresh(customerId));
    return { status: session.status, subscription: row, purchase: null, accountRef: row.accountRef, guest: null };
  }

  /** A guest checkout's success page: its subscription linked to the guest, the guest recorded, its first token issued. */
  private async syncGuestCheckout(session: Stripe.Checkout.Session, answer: Stripe.Subscription, guestId: string, customerId: string | null): Promise<CheckoutSync> {
    const row = await this.applier.apply(answer, {
      operation: 'checkout.session.retrieve',
      checkout: { customerId, accountRef: await this.guestRecords.currentReference(guestId), livemode: session.livemode, metadata: filterMetadata(session.metadata ?? {}, this.base.metadataKeys) },
    });
    const email = session.customer_details?.email ?? session.customer_email ?? null;
    const guest = await this.guests.complete({ guestId, livemode: session.livemode, checkoutSessionId: session.id, subscriptionId: answer.id, customerId, email });
    if (customerId && this.options.catalog.readsStripeFeatures) await inRefreshLane(() => this.features.refresh(customerId));
    return { status: session.status, subscription: row, purchase: null, accountRef: row.accountRef, guest };
  }

  async createBillingPortalSession(accountRef: string, returnUrl: string, options: BillingPortalSessionOptions = {}): Promise<Stripe.BillingPortal.Session> {
    checkedAccountReference(accountRef);
    checkHttpUrls({ returnUrl });
    await this.limits.take(accountRef);
    const customer = await this.customers.find(accountRef);
    if (!customer) throw new NotFoundException(`Account ${accountRef} has no Stripe customer yet; send it to checkout first.`);
    return this.portal(customer, returnUrl, options);
  }

  /** The billing portal of a guest, by its access token: "manage subscription", cancel, update the card. */
  async createGuestBillingPortalSession(guestToken: string, returnUrl: string, { clientKey, ...options }: GuestPortalSessionOptions = {}): Promise<Stripe.BillingPortal.Session> {
    checkHttpUrls({ returnUrl });
    const guest = await this.guestTokens.resolve(guestToken, clientKey ?? null);
    await this.limits.take(guest.accountRef);
    if (!guest.customerId) throw new NotFoundException(`Guest ${guest.guestId} has no Stripe customer recorded yet; try again once its checkout is synced.`);
    return this.portal(guest.customerId, returnUrl, options);
  }

  private portal(customer: string, returnUrl: string, options: BillingPortalSessionOptions): Promise<Stripe.BillingPortal.Session> {
    return this.stripe.billingPortal.sessions.create({ customer, return_url: returnUrl, ...options }, { idempotencyKey: `litestripe-portal-${randomUUID()}` });
  }

  /** The metered prices of the plan sold (named, or found by the price or lookup key), sold with its price. */
  private meteredPricesFor(request: Omit<CheckoutSessionRequest, 'accountRef'>, price: string): string[] {
    const { catalog } = this.options;
    const plan = request.plan !== undefined ? catalog.get(request.plan) : catalog.planOf({ priceId: price, lookupKey: request.lookupKey ?? null });
    return plan ? catalog.meteredPricesOf(plan).filter((metered) => metered !== price) : [];
  }

  private async priceFor(request: Omit<CheckoutSessionRequest, 'accountRef'>): Promise<string> {
    const given = [request.plan, request.price, request.lookupKey].filter((v) => v !== undefined);
    if (given.length !== 1) throw new BadRequestException('Give exactly one of plan, price or lookupKey.');
    if (request.price !== undefined) return this.listed(request.price, `Price ${JSON.stringify(request.price)}`);
    if (request.lookupKey !== undefined) {
      const found = await this.stripe.prices.list({ lookup_keys: [request.lookupKey], active: true, limit: 1 });
      if (!found.data[0]) throw new BadRequestException(`No active Stripe price has the lookup key "${request.lookupKey}".`);
      const listedKey = this.options.catalog.plans.some((plan) => plan.lookupKeys.includes(request.lookupKey!));
      return listedKey ? found.data[0].id : this.listed(found.data[0].id, `Lookup key ${JSON.stringify(request.lookupKey)} (price ${found.data[0].id})`);
    }
    const plan = this.options.catalog.get(request.plan!);
    if (!plan) throw new BadRequestException(`Unknown plan "${request.plan}"; configured plans: ${this.options.catalog.idList()}.`);
    const ids = this.options.catalog.pricesOf(plan);
    return ids[0] ?? (await this.pricing.pricesOf(plan))[0].id;
  }

  /**
   * With plans configured, they are the catalogue: a price no plan lists would not entitle, so it is
   * not sold either. A price id is checked before any call to Stripe; a lookup key no plan lists is
   * first resolved to its price.
   */
  private listed(price: string, what: string): string {
    const { catalog } = this.options;
    if (catalog.unlistedPricesEntitle || catalog.plans.some((plan) => catalog.pricesOf(plan).includes(price))) return price;
    throw new BadRequestException(
      `${what} is in no configured plan (${catalog.idList()}) of ${catalog.livemode ? 'live' : 'test'} mode, so it would not entitle. Sell a plan ({ plan: 'name' }) or one of its prices or lookup keys, add it to a plan, or set allowUnlistedPrices: true.`,
    );
  }
}
