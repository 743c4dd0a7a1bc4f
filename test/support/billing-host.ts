import { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type Stripe from 'stripe';
import { LitestripeModule, LitestripeModuleOptions, StripeSubscription } from '@litestripe/nestjs';
import { BillingService, SubscriptionService } from '@litestripe/nestjs';
import type { CheckoutSessionRequest } from '@litestripe/nestjs';
import { CompletedCheckout, FakeStripe, signedDelivery, SubscriptionPatch } from '@litestripe/nestjs/testing';
import { createHostApp, HostApp } from './module-boot';
import { Adapter, Registration, WEBHOOK_SECRET } from './test-app';
import { TestClock } from './test-clock';
import { truncateTables } from './test-database';

/** The prices every billing test sells, seeded in the fake Stripe. */
export interface SeededPrices {
  basic: Stripe.Price;
  proMonthly: Stripe.Price;
  proYearly: Stripe.Price;
  enterprise: Stripe.Price;
}

export function seedPrices(fake: FakeStripe): SeededPrices {
  return {
    basic: fake.seedPrice({ nickname: 'Basic', lookupKey: 'basic_monthly', unitAmount: 900 }),
    proMonthly: fake.seedPrice({ nickname: 'Pro monthly', lookupKey: 'pro_monthly', unitAmount: 2900 }),
    proYearly: fake.seedPrice({ nickname: 'Pro yearly', lookupKey: 'pro_yearly', unitAmount: 29000, interval: 'year' }),
    enterprise: fake.seedPrice({ nickname: 'Enterprise', lookupKey: 'enterprise_monthly', unitAmount: 9900 }),
  };
}

/** basic and pro by price id (pro's first price is its yearly one), enterprise by lookup key. */
export function plansFor(prices: SeededPrices): LitestripeModuleOptions['plans'] {
  return {
    basic: { name: 'Basic', prices: { test: prices.basic.id }, features: ['reports'], limits: { projects: 3 } },
    pro: { name: 'Pro', prices: { test: [prices.proYearly.id, prices.proMonthly.id] }, features: ['reports', 'export', 'advanced_analytics'], limits: { projects: 50, seats: 10 } },
    enterprise: { name: 'Enterprise', lookupKeys: 'enterprise_monthly', features: ['reports', 'export', 'advanced_analytics', 'sso'], limits: { projects: Infinity } },
  };
}

type Import = Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference;

export interface BillingHostOptions {
  adapter?: Adapter;
  registration?: Registration;
  options?: Partial<LitestripeModuleOptions>;
  imports?: Import[];
  providers?: Provider[];
  /** Register the module globally (its guard then resolves in every module). */
  isGlobal?: boolean;
  /** Unix seconds where the module's and the fake Stripe's clocks start. @default the current second */
  clockStart?: number;
  /** Options that need the fake Stripe's objects (a meter, a metered price), after the prices are seeded; applied over `options`. */
  configure?: (fake: FakeStripe, prices: SeededPrices) => Partial<LitestripeModuleOptions>;
}

export interface BillingHost extends HostApp {
  fake: FakeStripe;
  prices: SeededPrices;
  /** The module's clock; the fake Stripe's clock starts at the same second and moves on its own (`fake.advanceClock`). */
  clock: TestClock;
  service: SubscriptionService;
  billing: BillingService;
  webhookUrl: string;
  /** Posts events to the webhook, signed at the module clock's time, in order; fails the test on a non-2xx answer. */
  deliver(...events: Stripe.Event[]): Promise<void>;
  /** Posts one event signed with `secret` (default: the app's) at the module clock's time, and returns the webhook's answer, whatever it is. */
  post(event: Stripe.Event | object, secret?: string): Promise<request.Response>;
  /** The row as stored, or null. */
  row(id: string): Promise<StripeSubscription | null>;
  /** Empties the tables and the fake's customers and subscriptions (keeps its prices), resets the clock. */
  reset(): Promise<void>;
  http(): request.Agent;
  /**
   * Checkout as a user does it: a session through the module, paid on the fake Stripe. The events
   * Stripe emitted are delivered to the webhook unless `deliver` is false.
   */
  /**
   * A change Stripe makes on its own (portal, dunning), two seconds after the last one as in real
   * life (events of one second cannot be ordered by their timestamps), delivered to the webhook.
   */
  stripeChanges(subscriptionId: string, patch: SubscriptionPatch, options?: { deliver?: boolean }): Promise<Stripe.Event[]>;
  subscribe(accountRef: string, choice: Partial<Pick<CheckoutSessionRequest, 'plan' | 'price' | 'lookupKey' | 'trialDays' | 'quantity'>>, options?: { deliver?: boolean }): Promise<CompletedCheckout>;
}

/** A real app (Express or Fastify) over real PostgreSQL, its Stripe client talking to a fake Stripe server. */
export async function startBillingHost(config: BillingHostOptions = {}): Promise<BillingHost> {
  const clock = new TestClock(config.clockStart);
  const fake = await FakeStripe.start({ now: clock.fakeStripeNow });
  const prices = seedPrices(fake);
  const uuid = randomUUID();
  const options: LitestripeModuleOptions = {
    secretKey: 'sk_test_litestripe',
    webhookUuid: uuid,
    webhookSecret: WEBHOOK_SECRET,
    stripe: fake.clientConfig(),
    plans: plansFor(prices),
    clock,
    // Tests run many billing actions per account within a minute; test/fair-use.e2e-spec.ts sets a limit.
    billingActionLimit: false,
    ...config.options,
    ...config.configure?.(fake, prices),
  };
  const isGlobal = config.isGlobal ?? false;
  const litestripe =
    config.registration === 'forRootAsync' ? LitestripeModule.forRootAsync({ useFactory: async () => options, isGlobal }) : LitestripeModule.forRoot({ ...options, isGlobal });
  const host = await createHostApp(litestripe, config.adapter ?? 'express', { imports: config.imports, providers: config.providers });
  const webhookUrl = `/ls/hook/${uuid}`;
  const server = host.app.getHttpServer();
  const billing: BillingHost = {
    ...host,
    fake,
    prices,
    clock,
    service: host.app.get(SubscriptionService),
    billing: host.app.get(BillingService),
    webhookUrl,
    async post(event, secret = WEBHOOK_SECRET) {
      const { body, headers } = await signedDelivery(event, secret, clock.seconds());
      return request(server).post(webhookUrl).set(headers).send(body);
    },
    async deliver(...events) {
      for (const event of events) {
        const response = await billing.post(event);
        if (response.status >= 300) throw new Error(`The webhook answered ${event.type} with ${response.status}: ${response.text}`);
      }
    },
    row: (id) => host.dataSource.getRepository(StripeSubscription).findOneBy({ id }),
    async reset() {
      await truncateTables(host.dataSource);
      fake.reset({ keepCatalog: true });
      clock.reset();
      host.recorder.clear();
    },
    http: () => request.agent(server),
    async stripeChanges(subscriptionId, patch, { deliver = true } = {}) {
      fake.advanceClock(2);
      const { events } = fake.updateSubscription(subscriptionId, patch);
      if (deliver) await billing.deliver(...events);
      return events;
    },
    async subscribe(accountRef, choice, { deliver = true } = {}) {
      const session = await billing.billing.createCheckoutSession({ accountRef, successUrl: 'https://app.example/welcome?session_id={CHECKOUT_SESSION_ID}', cancelUrl: 'https://app.example/pricing', ...choice });
      const completed = fake.completeCheckoutSession(session.id);
      if (deliver) await billing.deliver(...completed.events);
      return completed;
    },
    async close() {
      await host.close();
      await fake.stop();
    },
  };
  return billing;
}

/**
 * Two instances of one app on one database (B sells A's prices), started before the file's tests
 * and closed after them; A's tables and caches are reset before each test. Read `a` and `b` inside
 * tests and hooks, once started.
 */
export function twoInstancesOfOneApp(): { readonly a: BillingHost; readonly b: BillingHost } {
  const hosts = {} as { a: BillingHost; b: BillingHost };
  beforeAll(async () => {
    hosts.a = await startBillingHost();
    hosts.b = await startBillingHost({ options: { plans: plansFor(hosts.a.prices) } });
  });
  afterAll(async () => {
    await hosts.b?.close();
    await hosts.a?.close();
  });
  beforeEach(() => hosts.a.reset());
  return hosts;
}
