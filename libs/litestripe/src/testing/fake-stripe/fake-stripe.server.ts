import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { ApiPipeline } from './api-pipeline.js';
import { completeCheckoutSession, type CompletedCheckout, type CompleteCheckoutOptions } from './billing/checkout-completion.js';
import { settleDelayedPayment, type SettleDelayedPaymentOptions } from './billing/delayed-payment.js';
import { closeDispute, type DisputeOutcome, openDispute, type OpenDisputeOptions } from './billing/disputes.js';
import { activeEntitlements } from './billing/entitlements.js';
import { findMeter, meterUsage, type UsagePeriod } from './billing/meter-usage.js';
import { chargeOf } from './billing/payments.js';
import { attachFeature } from './billing/product-features.js';
import { refundCharge } from './billing/refunds.js';
import { runDueBilling } from './billing/renewal.js';
import { seedSubscriptions, type SeededSubscription, type SeedSubscriptionsOptions } from './billing/seeding.js';
import { applySubscriptionPatch, type SubscriptionPatch } from './billing/subscription-patch.js';
import {
  findFeature,
  seedFeature,
  type SeedFeatureOptions,
  seedMeter,
  type SeedMeterOptions,
  seedPrice,
  type SeedPriceOptions,
} from './catalog-seeding.js';
import { AUTOMATIC, EventRecorder } from './event-recorder.js';
import { FakeClock } from './fake-clock.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import type {
  FailureOptions,
  FakeStripeOptions,
  HangOptions,
  HeldRequest,
  PauseOptions,
  RateLimitOptions,
  RecordedRequest,
  WebhookEndpoint,
} from './fake-stripe.options.js';
import { FakeStripeStore } from './fake-stripe.store.js';
import { FaultQueue } from './fault-queue.js';
import { createRequestHandler } from './http-entry.js';
import { HttpListener, LOOPBACK } from './http-listener.js';
import { IdempotencyCache } from './idempotency-cache.js';
import { type ResourceView, viewOf } from './resource-view.js';
import { apiRoutes } from './routes/index.js';
import { Router } from './router.js';
import { type DeliveryResult, deliverEvent } from './webhook-delivery.js';
import { type WebhookAttempt, WebhookDispatcher } from './webhook-dispatcher.js';

/** The result of a scripted change: the new state and the events Stripe would have emitted for it. */
export interface ScriptedChange<T> {
  result: T;
  events: Stripe.Event[];
}

/** Narrows `meterEvents()`; both given, an event must match both. */
export interface MeterEventFilter {
  eventName?: string;
  /** The customer id the event's payload named (under its meter's `customer_mapping.event_payload_key`). */
  customer?: string;
}

/** A refund made outside the app (Stripe's dashboard): see {@link FakeStripe.refund}. */
export interface ScriptedRefundOptions {
  /** Minor units; default: all that is not refunded yet. */
  amount?: number;
  reason?: Stripe.Refund.Reason;
}

export interface StripeClientConfig {
  host: string;
  port: number;
  protocol: 'http';
}

/** The environment variables of `litestripeOptionsFromEnv` that point an app at a fake Stripe: see {@link FakeStripe.env}. */
export interface FakeStripeEnv {
  /** The fake's `secretKey`. */
  STRIPE_SECRET_KEY: string;
  /** The fake's `webhookSecret`. */
  STRIPE_WEBHOOK_SECRET: string;
  /** The fake's `url`, e.g. `http://127.0.0.1:40123`. */
  STRIPE_API_BASE: string;
}

/** The secret key the fake hands out when its options name none. */
const DEFAULT_SECRET_KEY = 'sk_test_litestripefake';

/**
 * An in-process Stripe API for tests: a real HTTP server that the `stripe` package talks to
 * unchanged (`new Stripe(key, { ...fake.clientConfig() })`), with scripted billing time,
 * fault injection and signed webhook delivery.
 */
export class FakeStripe {
  readonly products: ResourceView<Stripe.Product>;
  readonly prices: ResourceView<Stripe.Price>;
  readonly meters: ResourceView<Stripe.Billing.Meter>;
  readonly customers: ResourceView<Stripe.Customer>;
  readonly subscriptions: ResourceView<Stripe.Subscription>;
  readonly invoices: ResourceView<Stripe.Invoice>;
  readonly checkoutSessions: ResourceView<Stripe.Checkout.Session>;
  readonly billingPortalSessions: ResourceView<Stripe.BillingPortal.Session>;
  readonly paymentIntents: ResourceView<Stripe.PaymentIntent>;
  readonly charges: ResourceView<Stripe.Charge>;
  readonly refunds: ResourceView<Stripe.Refund>;
  readonly disputes: ResourceView<Stripe.Dispute>;
  readonly features: ResourceView<Stripe.Entitlements.Feature>;
  readonly events: ResourceView<Stripe.Event>;
  /** A secret key this fake accepts (the first of `apiKeys`, else a test key): give it to the app under test. */
  readonly secretKey: string;
  /**
   * The signing secret (`whsec_...`) of this fake's webhook deliveries (`deliver`, `setWebhookEndpoint`)
   * when they name none: the app under test verifies with it, and tests sign their own deliveries
   * with it (`signedDelivery(event, fake.webhookSecret)`).
   */
  readonly webhookSecret: string;

  private readonly clock: FakeClock;
  private readonly store = new FakeStripeStore();
  private readonly recorder: EventRecorder;
  private readonly ctx: FakeStripeContext;
  private readonly faults = new FaultQueue();
  private readonly idempotency = new IdempotencyCache();
  private readonly dispatcher: WebhookDispatcher;
  private readonly pipeline: ApiPipeline;
  private readonly listener: HttpListener;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requestLog: RecordedRequest[] = [];
  private latencyMs: number;

  private constructor(private readonly options: FakeStripeOptions) {
    this.secretKey = options.apiKeys?.[0] ?? DEFAULT_SECRET_KEY;
    this.webhookSecret = options.webhookSecret ?? options.webhook?.secret ?? `whsec_${randomBytes(24).toString('hex')}`;
    this.latencyMs = options.latencyMs ?? 0;
    this.clock = new FakeClock(options.now);
    this.dispatcher = new WebhookDispatcher((eventId, delivered) => this.setDelivered(eventId, delivered), () => this.clock.now());
    this.dispatcher.setEndpoint(this.endpoint(options.webhook ?? null));
    this.recorder = new EventRecorder(this.store, this.clock, {
      apiVersion: options.apiVersion ?? Stripe.API_VERSION,
      pendingWebhooks: () => (this.dispatcher.active ? 1 : 0),
      onRecorded: (event) => this.dispatcher.enqueue(event),
    });
    this.ctx = { store: this.store, clock: this.clock, events: this.recorder, baseUrl: () => this.url };
    this.pipeline = new ApiPipeline({
      ctx: this.ctx,
      router: new Router(apiRoutes),
      faults: this.faults,
      idempotency: this.idempotency,
      apiKeys: options.apiKeys ? new Set(options.apiKeys) : undefined,
      latencyMs: () => this.latencyMs,
      delay: (ms) => this.delay(ms),
    });
    this.listener = new HttpListener(
      createRequestHandler({ pipeline: this.pipeline, ctx: this.ctx, requestLog: this.requestLog, apiVersion: this.recorder.apiVersion }),
    );
    this.products = viewOf(this.store.products);
    this.prices = viewOf(this.store.prices);
    this.meters = viewOf(this.store.meters);
    this.customers = viewOf(this.store.customers);
    this.subscriptions = viewOf(this.store.subscriptions);
    this.invoices = viewOf(this.store.invoices);
    this.checkoutSessions = viewOf(this.store.checkoutSessions);
    this.billingPortalSessions = viewOf(this.store.billingPortalSessions);
    this.paymentIntents = viewOf(this.store.paymentIntents);
    this.charges = viewOf(this.store.charges);
    this.refunds = viewOf(this.store.refunds);
    this.disputes = viewOf(this.store.disputes);
    this.features = viewOf(this.store.features);
    this.events = viewOf(this.store.events);
  }

  /** Starts the server (on a free port unless `port` is given): await it. */
  static async start(options: FakeStripeOptions = {}): Promise<FakeStripe> {
    const fake = new FakeStripe(options);
    await fake.listener.listen(options.port ?? 0);
    return fake;
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  /** Spread into the Stripe constructor's config. */
  clientConfig(): StripeClientConfig {
    return { host: LOOPBACK, port: this.port, protocol: 'http' as const };
  }

  /**
   * The variables that point `litestripeOptionsFromEnv` at this fake: its `secretKey`, its
   * `webhookSecret` and `STRIPE_API_BASE` (its `url`). For an app configured from the environment
   * that runs in another process, or reads the environment at boot; in a Jest or Vitest test,
   * `withFakeStripe` points any configuration at the fake.
   *
   * @example
   * const fake = await FakeStripe.start();
   * const child = spawn('node', ['dist/main.js'], { env: { ...process.env, ...fake.env(), STRIPE_WEBHOOK_UUID: uuid } });
   */
  env(): FakeStripeEnv {
    return { STRIPE_SECRET_KEY: this.secretKey, STRIPE_WEBHOOK_SECRET: this.webhookSecret, STRIPE_API_BASE: this.url };
  }

  /** Closes the server and every socket (hung requests included); safe to call twice. Await it. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.dispatcher.stop();
    await this.listener.close();
  }

  /** Takes the API "down" until `resume()`; await it. */
  async pause(options: PauseOptions = {}): Promise<void> {
    await this.listener.pause(options.mode ?? 'refuse');
  }

  /** Brings the API back up after `pause()`; await it. */
  async resume(): Promise<void> {
    await this.listener.resume();
  }

  get paused(): boolean {
    return this.listener.paused;
  }

  /** The next `count` matching requests get Stripe's 429 with `Retry-After`. */
  rateLimitNext(count = 1, options: RateLimitOptions = {}): void {
    this.faults.push({ kind: 'rate_limit', options }, count);
  }

  /** The next `count` matching requests fail with a 5xx (default 500) `api_error`. */
  failNext(count = 1, options: FailureOptions = {}): void {
    this.faults.push({ kind: 'failure', options }, count);
  }

  /** The next `count` matching requests are never answered (until `stop`), to exercise client timeouts. */
  hangNext(count = 1, options: HangOptions = {}): void {
    this.faults.push({ kind: 'hang', options }, count);
  }

  /** The next matching request waits, unanswered, until `release()`: to act between a request's arrival and its answer. */
  holdNext(options: HangOptions = {}): HeldRequest {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.faults.push({ kind: 'hold', options, arrive, released }, 1);
    return { arrived, release };
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Every API request so far, oldest first (live array). */
  get requests(): readonly RecordedRequest[] {
    return this.requestLog;
  }

  clearRequests(): void {
    this.requestLog.length = 0;
  }

  /** The fake's current time, unix seconds. */
  now(): number {
    return this.clock.now();
  }

  /** Moves time forward and runs what Stripe would have done meanwhile: renewals, trial ends, scheduled cancellations. */
  advanceClock(seconds: number): ScriptedChange<number> {
    const { events } = this.recorder.capture(() => {
      this.clock.advance(seconds);
      runDueBilling(this.ctx);
    });
    return { result: this.clock.now(), events };
  }

  /** A product and price, straight into the store (with the entitlement features named by `features`). */
  seedPrice(options: SeedPriceOptions = {}): Stripe.Price {
    return structuredClone(seedPrice(this.ctx, options));
  }

  /** An active billing meter, straight into the store (no event); give its id to `seedPrice({ meter })`. */
  seedMeter(options: SeedMeterOptions): Stripe.Billing.Meter {
    return structuredClone(seedMeter(this.ctx, options));
  }

  /** The meter events accepted so far (`POST /v1/billing/meter_events`), oldest first, as copies. */
  meterEvents(filter: MeterEventFilter = {}): Stripe.Billing.MeterEvent[] {
    return this.store.meterEvents
      .values()
      .filter((record) => (!filter.eventName || record.event.event_name === filter.eventName) && (!filter.customer || record.customer === filter.customer))
      .map((record) => structuredClone(record.event));
  }

  /**
   * A customer's usage on a meter (its id, or the event name of its meter) over `[from, to)` by
   * event timestamp, aggregated per the meter's formula (sum, count or last): what a renewal bills.
   */
  meterUsage(customer: string, meter: string, period: UsagePeriod): number {
    const found = findMeter(this.ctx, meter);
    if (!found) throw new Error(`FakeStripe: no meter with id or event name ${meter}`);
    return meterUsage(this.ctx, found, customer, period);
  }

  /** An entitlement feature, straight into the store (Stripe has no feature events); attach it with `attachFeature` or `seedPrice({ features })`. */
  seedFeature(options: SeedFeatureOptions): Stripe.Entitlements.Feature {
    return structuredClone(seedFeature(this.ctx, options));
  }

  /**
   * Attaches a feature (id or lookup key) to a product, as `POST /v1/products/:id/features` does:
   * customers subscribed to the product get `entitlements.active_entitlement_summary.updated`.
   */
  attachFeature(productId: string, feature: string): ScriptedChange<Stripe.ProductFeature> {
    if (!this.store.products.has(productId)) throw new Error(`FakeStripe: no product ${productId}`);
    const found = findFeature(this.ctx, feature);
    if (!found) throw new Error(`FakeStripe: no feature with id or lookup key ${feature}`);
    const { result, events } = this.recorder.capture(() => attachFeature(this.ctx, productId, found));
    return { result: structuredClone(result), events };
  }

  /** The lookup keys of a customer's active entitlements, in the order their features were created. */
  activeEntitlements(customerId: string): string[] {
    return activeEntitlements(this.ctx, customerId)
      .values()
      .map((entitlement) => entitlement.lookup_key);
  }

  /** `count` customers with one subscription each, straight into the store (no invoices; events only if asked). */
  seedSubscriptions(count: number, options: SeedSubscriptionsOptions = {}): SeededSubscription[] {
    const price = options.price ? this.findPrice(options.price) : this.defaultSeedPrice();
    return seedSubscriptions(this.ctx, count, price, options);
  }

  /** What Stripe does when the customer pays: customer, subscription, first invoice, events. */
  completeCheckoutSession(id: string, options: CompleteCheckoutOptions = {}): CompletedCheckout {
    const completed = completeCheckoutSession(this.ctx, id, options);
    return structuredClone(completed);
  }

  /**
   * Settles the payment of a session completed with `{ delayedPayment: true }`: the money arrives
   * (`charge.succeeded`, `payment_intent.succeeded`, `checkout.session.async_payment_succeeded`) or,
   * with `succeed: false`, the payment fails (`payment_intent.payment_failed`, `checkout.session.async_payment_failed`).
   */
  settleDelayedPayment(sessionId: string, options: SettleDelayedPaymentOptions = {}): ScriptedChange<Stripe.Checkout.Session> {
    const { result, events } = this.recorder.capture(() => settleDelayedPayment(this.ctx, sessionId, options));
    return { result: structuredClone(result), events };
  }

  /** A refund made outside the app (e.g. from Stripe's dashboard), exactly as `POST /v1/refunds` makes it. */
  refund(paymentIntentOrChargeId: string, options: ScriptedRefundOptions = {}): ScriptedChange<Stripe.Refund> {
    const target = paymentIntentOrChargeId.startsWith('pi_') ? { paymentIntent: paymentIntentOrChargeId } : { charge: paymentIntentOrChargeId };
    const { result, events } = this.recorder.capture(() => refundCharge(this.ctx, { ...target, ...options }, AUTOMATIC));
    return { result: structuredClone(result), events };
  }

  /** The cardholder disputes a payment (Stripe has no API for this): a dispute `needs_response`, `charge.dispute.created`. */
  openDispute(paymentIntentOrChargeId: string, options: OpenDisputeOptions = {}): ScriptedChange<Stripe.Dispute> {
    const charge = chargeOf(this.ctx, paymentIntentOrChargeId);
    if (!charge) throw new Error(`FakeStripe: no charge for ${paymentIntentOrChargeId} (a charge id, or a payment intent id with a charge)`);
    const { result, events } = this.recorder.capture(() => openDispute(this.ctx, charge, options));
    return { result: structuredClone(result), events };
  }

  /** The issuer decides a dispute: `charge.dispute.closed`. A won dispute makes the charge refundable again. */
  closeDispute(disputeId: string, outcome: DisputeOutcome): ScriptedChange<Stripe.Dispute> {
    const dispute = this.store.disputes.get(disputeId);
    if (!dispute) throw new Error(`FakeStripe: no dispute ${disputeId}`);
    const { result, events } = this.recorder.capture(() => closeDispute(this.ctx, dispute, outcome));
    return { result: structuredClone(result), events };
  }

  /** Changes a subscription as Stripe itself would (dunning, pausing, period moves) and records the matching events. */
  updateSubscription(id: string, patch: SubscriptionPatch): ScriptedChange<Stripe.Subscription> {
    const subscription = this.store.subscriptions.get(id);
    if (!subscription) throw new Error(`FakeStripe: no subscription ${id}`);
    const { events } = this.recorder.capture(() => applySubscriptionPatch(this.ctx, subscription, patch, this.findPrice.bind(this)));
    return { result: structuredClone(subscription), events };
  }

  /** Declines this customer's future payments (renewals, new subscriptions) until called with `false`. */
  failPayments(customerId: string, fail = true): void {
    if (fail) this.store.failingCustomers.add(customerId);
    else this.store.failingCustomers.delete(customerId);
  }

  /** `GET /v1/events?delivery_success=false` lists events marked undelivered. */
  markUndelivered(eventId: string): void {
    const event = this.requireEvent(eventId);
    event.pending_webhooks = Math.max(1, event.pending_webhooks);
  }

  markDelivered(eventId: string): void {
    this.requireEvent(eventId).pending_webhooks = 0;
  }

  /**
   * POSTs an event (or a stored event's id) to a webhook URL, signed with `secret` (default: the
   * fake's `webhookSecret`) at `timestamp` (default: the fake's clock, as Stripe signs at its own
   * time); updates its delivery state. Await it: it resolves with the endpoint's answer.
   */
  async deliver(event: Stripe.Event | string, target: { url: string; secret?: string; timestamp?: number }): Promise<DeliveryResult> {
    const payload = typeof event === 'string' ? this.requireEvent(event) : event;
    const result = await deliverEvent(payload, { url: target.url, secret: target.secret ?? this.webhookSecret, timestamp: target.timestamp ?? this.clock.now() });
    if (this.store.events.has(payload.id)) this.setDelivered(payload.id, result.ok);
    return result;
  }

  /**
   * Delivers every new event to `endpoint` automatically, like a registered webhook endpoint, signed
   * with its `secret` (default: the fake's `webhookSecret`); null stops it.
   */
  setWebhookEndpoint(endpoint: WebhookEndpoint | null): void {
    this.dispatcher.setEndpoint(this.endpoint(endpoint));
  }

  /** Resolves once every automatically queued webhook has been attempted: await it. */
  flushWebhooks(): Promise<void> {
    return this.dispatcher.flush();
  }

  get webhookAttempts(): readonly WebhookAttempt[] {
    return this.dispatcher.attempts;
  }

  /** Forgets all state, requests, idempotency keys, faults and clock offset; keeps the catalog (products, prices, meters, features) if asked. */
  reset(options: { keepCatalog?: boolean } = {}): void {
    this.store.reset(options);
    this.requestLog.length = 0;
    this.idempotency.clear();
    this.faults.clear();
    this.clock.reset();
    this.latencyMs = this.options.latencyMs ?? 0;
  }

  private endpoint(endpoint: WebhookEndpoint | null): Required<WebhookEndpoint> | null {
    return endpoint && { url: endpoint.url, secret: endpoint.secret ?? this.webhookSecret };
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private findPrice(idOrLookupKey: string): Stripe.Price {
    const price = this.store.prices.get(idOrLookupKey) ?? this.store.prices.find((candidate) => candidate.lookup_key === idOrLookupKey);
    if (!price) throw new Error(`FakeStripe: no price with id or lookup key ${idOrLookupKey}`);
    return price;
  }

  private defaultSeedPrice(): Stripe.Price {
    return this.store.prices.find((price) => price.lookup_key === DEFAULT_SEED_LOOKUP_KEY) ?? seedPrice(this.ctx, { lookupKey: DEFAULT_SEED_LOOKUP_KEY });
  }

  private requireEvent(eventId: string): Stripe.Event {
    const event = this.store.events.get(eventId);
    if (!event) throw new Error(`FakeStripe: no event ${eventId}`);
    return event;
  }

  private setDelivered(eventId: string, delivered: boolean): void {
    const event = this.store.events.get(eventId);
    if (event) event.pending_webhooks = delivered ? 0 : Math.max(1, event.pending_webhooks);
  }
}

const DEFAULT_SEED_LOOKUP_KEY = 'fake_seed_monthly';
