import { INestApplication, Injectable, Module, Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type Stripe from 'stripe';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  BillingService,
  getStripeClientToken,
  LITESTRIPE_ENTITIES,
  LitestripeEventPayload,
  LitestripeEvents,
  LitestripeModule,
  LitestripeModuleOptions,
  litestripeOptionsFromEnv,
  OutboxService,
  StripeRateLimitExceededError,
  SubscriptionService,
} from '@litestripe/nestjs';
import { entitlementCacheCaughtUp, FakeStripe, resetLitestripe, signedDelivery, truncateLitestripeTables, withFakeStripe } from '@litestripe/nestjs/testing';
import { testDatabaseUrl, typeOrmOptions } from './support/test-database';

/**
 * The testing kit as a host uses it: the host's own AppModule (registered with `forRootAsync` from
 * the environment, or with `forRoot`), booted against a fake Stripe, with signed deliveries, a
 * reset between tests, and the module's own Stripe client and rate limiter still in the way.
 */

// ---- The host's code: what an app's src/ would hold. ----

/** Every Stripe API call the limiter lets through is counted here (the host's shared store, e.g. Redis, in production). */
class CountingStore extends ThrottlerStorageService {
  readonly hits = new Map<string, number>();
  override increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
    return super.increment(key, ttl, limit, blockDuration, throttlerName);
  }
  forget(): void {
    this.hits.clear();
    this.storage.clear();
  }
}
const apiCallStore = new CountingStore();
const API_RATE_LIMIT_KEY = 'host_stripe_api';

const plans: LitestripeModuleOptions['plans'] = { pro: { name: 'Pro', lookupKeys: ['kit_pro_monthly'], features: ['export'] } };
/** What the host tunes in code, beside what the environment says. */
const tuning: Partial<LitestripeModuleOptions> = {
  plans,
  rateLimitStorage: apiCallStore,
  rateLimitCacheKey: API_RATE_LIMIT_KEY,
  rateLimitReserveForRefreshes: 0,
  maxRateLimitWaitMs: 50,
  outbox: { pollIntervalMs: 0, retryBackoffMs: 1 },
};

/** A host's audit of every billing event: one wildcard listener, told what it got by the payload's `name`. */
@Injectable()
class BillingAudit {
  readonly received: LitestripeEventPayload[] = [];
  failNext = false;

  @OnEvent('litestripe.**', { suppressErrors: false })
  record(payload: LitestripeEventPayload): void {
    this.received.push(payload);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('audit store down');
    }
  }
}

const hostDatabase = TypeOrmModule.forRootAsync({
  inject: [ConfigService],
  useFactory: (config: ConfigService) => ({ type: 'postgres' as const, url: config.getOrThrow<string>('DATABASE_URL'), autoLoadEntities: true }),
});

/** A host configured from the environment (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_UUID, ...). */
@Module({
  imports: [
    // A host reads its .env here; the test sets process.env instead.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    hostDatabase,
    EventEmitterModule.forRoot({ wildcard: true }),
    LitestripeModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => litestripeOptionsFromEnv(config, tuning),
    }),
  ],
  providers: [BillingAudit],
})
class EnvAppModule {}

const STATIC_UUID = randomUUID();

/** A host with its options in code, its own (test) keys included. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }),
    hostDatabase,
    EventEmitterModule.forRoot({ wildcard: true }),
    LitestripeModule.forRoot({
      secretKey: 'sk_test_hostownkey',
      webhookUuid: STATIC_UUID,
      webhookSecret: 'whsec_hostownsecret',
      maxRequestsPerMinute: 25,
      ...tuning,
    }),
  ],
  providers: [BillingAudit],
})
class StaticAppModule {}

// ---- The tests. ----

const ENV_UUID = randomUUID();
/** The host's own test environment: keys the fake does not know. */
const HOST_ENV = {
  STRIPE_SECRET_KEY: 'sk_test_hostownkey',
  STRIPE_WEBHOOK_SECRET: 'whsec_hostownsecret',
  STRIPE_WEBHOOK_UUID: ENV_UUID,
  LITESTRIPE_MAX_REQUESTS_PER_MINUTE: '25',
};

interface Setup {
  name: string;
  module: Type<unknown>;
  uuid: string;
  env(fake: FakeStripe): Record<string, string>;
  /** Applies the kit's override, or not. */
  builder(builder: TestingModuleBuilder, fake: FakeStripe): TestingModuleBuilder;
}

const setups: Setup[] = [
  { name: 'forRootAsync from the environment, pointed at the fake by fake.env()', module: EnvAppModule, uuid: ENV_UUID, env: (fake) => ({ ...HOST_ENV, ...fake.env() }), builder: (b) => b },
  { name: 'forRootAsync from the environment, pointed at the fake by withFakeStripe', module: EnvAppModule, uuid: ENV_UUID, env: () => HOST_ENV, builder: withFakeStripe },
  { name: 'forRoot, pointed at the fake by withFakeStripe', module: StaticAppModule, uuid: STATIC_UUID, env: () => ({}), builder: withFakeStripe },
];

const SUCCESS = 'https://host.example/welcome?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://host.example/pricing';

describe.each(setups)('testing kit: a host app, $name', (setup) => {
  let fake: FakeStripe;
  let app: INestApplication;
  let audit: BillingAudit;
  /** Every domain event as EventEmitter2 emitted it: its name, and the payload. */
  const emitted: { name: string; payload: LitestripeEventPayload }[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // Only the fake knows this key: a call with the host's own key would be refused.
    fake = await FakeStripe.start({ apiKeys: ['sk_test_fakeonly'] });
    fake.seedPrice({ lookupKey: 'kit_pro_monthly', nickname: 'Pro monthly', unitAmount: 1500 });
    apiCallStore.forget();
    const env = { DATABASE_URL: await testDatabaseUrl(), ...setup.env(fake) };
    for (const [name, value] of Object.entries(env)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }

    const moduleRef = await setup.builder(Test.createTestingModule({ imports: [setup.module] }), fake).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.init();
    audit = app.get(BillingAudit);
    app.get(EventEmitter2).onAny((name: string | string[], payload: LitestripeEventPayload) => {
      const eventName = Array.isArray(name) ? name.join('.') : name;
      if (eventName.startsWith('litestripe.')) emitted.push({ name: eventName, payload });
    });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    apiCallStore.onApplicationShutdown();
  });
  beforeEach(async () => {
    await resetLitestripe(app, { fake });
    audit.received.length = 0;
    emitted.length = 0;
  });

  const webhookPath = () => `/ls/hook/${setup.uuid}`;
  const post = async (event: Stripe.Event, secret = fake.webhookSecret) => {
    const { body, headers } = await signedDelivery(event, secret);
    return request(app.getHttpServer()).post(webhookPath()).set(headers).send(body);
  };
  /** Checkout as a user does it: a session through the module, paid on the fake, its events delivered signed. */
  const subscribe = async (accountRef: string) => {
    const session = await app.get(BillingService).createCheckoutSession({ accountRef, plan: 'pro', successUrl: SUCCESS, cancelUrl: CANCEL });
    const completed = fake.completeCheckoutSession(session.id);
    for (const event of completed.events) {
      const response = await post(event);
      expect({ type: event.type, status: response.status }).toEqual({ type: event.type, status: 200 });
    }
    return completed;
  };

  it('sells through the fake with the fake’s keys, and the app takes the fake’s signed deliveries', async () => {
    const completed = await subscribe('acct_kit');
    expect(fake.requests.filter((r) => r.path === '/v1/checkout/sessions')).toHaveLength(1);
    expect(fake.requests.every((r) => r.status === 200)).toBe(true);
    await entitlementCacheCaughtUp(app);
    expect(await app.get(SubscriptionService).isEntitled('acct_kit')).toBe(true);

    // The webhook verifies with the fake's secret, not the host's own any more (when the kit pointed it at the fake).
    const again = await post(completed.events[0], 'whsec_hostownsecret');
    expect(again.status).toBe(400);
  });

  it('tells a wildcard listener each event’s name in its payload, on the first dispatch and on a redispatch from the outbox', async () => {
    await subscribe('acct_wildcard');
    expect(emitted.length).toBeGreaterThan(0);
    for (const { name, payload } of emitted) expect(payload.name).toBe(name);
    expect(audit.received.map((p) => p.name)).toEqual(emitted.map((e) => e.name));
    expect(audit.received.map((p) => p.name)).toEqual(expect.arrayContaining([LitestripeEvents.CheckoutCompleted, LitestripeEvents.SubscriptionActivated]));

    // A listener that throws gets the event again from the outbox, rebuilt from its JSON: named too.
    audit.received.length = 0;
    audit.failNext = true;
    const subscription = fake.subscriptions.all().find((s) => s.metadata.client_reference_id === 'acct_wildcard')!;
    fake.advanceClock(2);
    const { events } = fake.updateSubscription(subscription.id, { cancel_at_period_end: true });
    for (const event of events) expect((await post(event)).status).toBe(200);
    const failed = audit.received[0];
    expect(failed).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await app.get(OutboxService).dispatchDue();
    const redispatched = audit.received.filter((p) => p.id === failed.id);
    expect(redispatched).toHaveLength(2);
    expect(redispatched[1]).not.toBe(redispatched[0]);
    expect(redispatched[1].name).toBe(failed.name);
  });

  it('resetLitestripe empties every litestripe table, the entitlement cache and the fake, and keeps the fake’s prices', async () => {
    await subscribe('acct_reset');
    await entitlementCacheCaughtUp(app);
    const subscriptions = app.get(SubscriptionService);
    expect(await subscriptions.isEntitled('acct_reset')).toBe(true);
    expect(subscriptions.peekEntitlement('acct_reset')?.entitled).toBe(true); // cached

    await resetLitestripe(app, { fake });
    // At once: the cache is empty when the reset resolves, not when the TRUNCATE's notification arrives.
    expect(subscriptions.peekEntitlement('acct_reset')).toBeUndefined();
    expect(await subscriptions.isEntitled('acct_reset')).toBe(false);
    // And no late notification of the TRUNCATE empties the cache again: what the test reads now stays cached.
    await entitlementCacheCaughtUp(app);
    expect(subscriptions.peekEntitlement('acct_reset')?.entitled).toBe(false);

    const dataSource = app.get(DataSource);
    for (const entity of LITESTRIPE_ENTITIES) expect({ entity: entity.name, rows: await dataSource.getRepository(entity).count() }).toEqual({ entity: entity.name, rows: 0 });
    expect(fake.customers.all()).toEqual([]);
    expect(fake.subscriptions.all()).toEqual([]);
    expect(fake.requests).toEqual([]);
    expect(fake.prices.all().map((p) => p.lookup_key)).toEqual(['kit_pro_monthly']);

    // And the app works on from the clean state.
    await subscribe('acct_reset');
    await entitlementCacheCaughtUp(app);
    expect(await subscriptions.isEntitled('acct_reset')).toBe(true);
  });

  it('the fake’s own deliveries (setWebhookEndpoint) are signed with the secret the app verifies', async () => {
    await app.listen(0, '127.0.0.1');
    fake.setWebhookEndpoint({ url: `${await app.getUrl()}${webhookPath()}` });
    try {
      const session = await app.get(BillingService).createCheckoutSession({ accountRef: 'acct_pushed', plan: 'pro', successUrl: SUCCESS, cancelUrl: CANCEL });
      fake.completeCheckoutSession(session.id);
      await fake.flushWebhooks();
      expect(fake.webhookAttempts.length).toBeGreaterThan(0);
      expect(fake.webhookAttempts.every((a) => a.status === 200)).toBe(true);
      await entitlementCacheCaughtUp(app);
      expect(await app.get(SubscriptionService).isEntitled('acct_pushed')).toBe(true);
    } finally {
      fake.setWebhookEndpoint(null);
    }
  });

  // Last: it spends the limiter's budget for the rest of the minute.
  it('keeps the module’s own Stripe client and rate limiter: every call is counted, and a call over the limit never reaches the fake', async () => {
    const stripe = app.get<Stripe>(getStripeClientToken());
    let sent = 0;
    let refused: unknown;
    for (let i = 0; i < 30 && refused === undefined; i++) {
      const before = apiCallStore.hits.get(API_RATE_LIMIT_KEY) ?? 0;
      try {
        await stripe.customers.list({ limit: 1 });
        sent++;
        expect(apiCallStore.hits.get(API_RATE_LIMIT_KEY)).toBe(before + 1);
      } catch (error) {
        refused = error;
      }
    }
    // The limiter's refusal, answered like Stripe's own 429 without sending anything.
    expect(refused).toMatchObject({ statusCode: 429, code: 'litestripe_rate_limit_exceeded' });
    expect((refused as { detail?: unknown }).detail).toBeInstanceOf(StripeRateLimitExceededError);
    expect(sent).toBeGreaterThan(0);
    // The budget (25 a minute) was shared with the calls of the tests before, through the same limiter.
    expect(sent).toBeLessThan(25);
    expect(fake.requests.filter((r) => r.path === '/v1/customers' && r.method === 'GET')).toHaveLength(sent);
  });
});

describe('truncateLitestripeTables', () => {
  let dataSource: DataSource;
  let other: Client;
  beforeAll(async () => {
    const url = await testDatabaseUrl();
    dataSource = await new DataSource(typeOrmOptions(url)).initialize();
    other = new Client({ connectionString: url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await dataSource?.destroy();
  });

  /** Whether a session of this database is waiting for a lock while running `sql`. */
  const waitingOnLock = async (sql: string) => {
    const rows: unknown[] = await dataSource.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`${sql}%`],
    );
    return rows.length > 0;
  };
  const until = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await condition()).toBe(true);
  };

  it('empties the tables when an app’s query holds them the other way round and PostgreSQL makes the TRUNCATE the deadlock’s victim', async () => {
    await dataSource.query(`INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id") VALUES ($1, 'litestripe.test', '{}', 'evt_truncate')`, [randomUUID()]);
    // A broker lease's order: the publications first, then the outbox. This session checks for a deadlock
    // later than the TRUNCATE does, so the TRUNCATE is the one PostgreSQL aborts.
    await other.query(`SET deadlock_timeout = '30s'`);
    await other.query('BEGIN');
    await other.query('LOCK TABLE litestripe_outbox_publication IN ROW EXCLUSIVE MODE');
    const truncated = truncateLitestripeTables(dataSource);
    await until(() => waitingOnLock('TRUNCATE'));
    const read = other.query('SELECT count(*)::int AS n FROM litestripe_outbox');
    await expect(read).resolves.toMatchObject({ rows: [{ n: 1 }] });
    await other.query('COMMIT');
    await truncated;
    expect(await dataSource.query('SELECT count(*)::int AS n FROM litestripe_outbox')).toEqual([{ n: 0 }]);
  });
});
