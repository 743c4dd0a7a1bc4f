import { Controller, Headers, Module, Post } from '@nestjs/common';
import type Stripe from 'stripe';
import {
  BillingActionLimitException,
  getStripeClientToken,
  inRefreshLane,
  LitestripeModule,
  LitestripeModuleOptions,
  StripeRateLimiterClosedError,
  StripeRateLimitQueueFullError,
  StripeSubscription,
  BillingService,
  SubscriptionService,
} from '@litestripe/nestjs';
import { buildStripeEvent } from '@litestripe/nestjs/testing';
import { BillingHost, startBillingHost } from './support/billing-host';
import { closeOpenedDataSources, compileHost } from './support/module-boot';
import { rateLimiterQueues } from './support/rate-limiter-queues';
import { Adapter, Registration } from './support/test-app';

/**
 * Fair use of the shared Stripe budget: a per-account limit on billing actions, a reserve of the
 * API budget for the refreshes that decide access, and a bounded queue. Windows are a minute long,
 * so what is sent and what waits is decided by counts, never by how fast the machine is.
 */

const SUCCESS = 'https://app.example/welcome?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://app.example/pricing';
/** The default `staleAfterSeconds`. */
const STALE_AFTER = 3600;

@Controller('billing')
class CheckoutController {
  constructor(private readonly billing: BillingService) {}

  @Post('checkout')
  async checkout(@Headers('x-user') user: string): Promise<{ url: string | null }> {
    const session = await this.billing.createCheckoutSession({ accountRef: user, plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL });
    return { url: session.url };
  }
}

@Module({ controllers: [CheckoutController] })
class CheckoutRoutes {}

/** Resolves once `condition` holds; the test's timeout is the only clock. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** `count` calls through the module's Stripe client (default lane), each one's outcome kept rather than thrown. */
function defaultLaneCalls(stripe: Stripe, count: number): Promise<unknown>[] {
  return Array.from({ length: count }, () => stripe.prices.list({ limit: 1 }).catch((error: unknown) => error));
}

describe.each<Adapter>(['express', 'fastify'])('billing actions are limited per account (%s)', (adapter) => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({ adapter, isGlobal: true, imports: [CheckoutRoutes], options: { billingActionLimit: { limit: 3, windowSeconds: 60 } } });
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const checkoutPosts = () => t.fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');

  it('answers one account hammering checkout with 429 naming its wait, while another account still checks out', async () => {
    const hammering = await Promise.all(Array.from({ length: 6 }, () => t.http().post('/billing/checkout').set('x-user', 'acct_hammer')));

    const statuses = hammering.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
    const refused = hammering.find((response) => response.status === 429)!;
    const wait = refused.body.retryAfterSeconds as number;
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `Too many billing actions for this account; try again in ${wait} s.`,
      reason: 'billing_action_limit',
      retryAfterSeconds: wait,
    });
    // The refused calls sent nothing to Stripe.
    expect(checkoutPosts()).toHaveLength(3);

    const other = await t.http().post('/billing/checkout').set('x-user', 'acct_other');
    expect(other.status).toBe(201);
    expect(other.body.url).toMatch(/\/checkout\/cs_/);
    expect(checkoutPosts()).toHaveLength(4);
  });

  it('counts subscription actions for the subscription’s account; a no-op and an operator’s relink do not count', async () => {
    const { subscription } = await t.subscribe('acct_seats', { plan: 'pro' }); // 1
    const id = subscription!.id;
    await t.billing.setQuantity('acct_seats', 2); // 2
    await t.billing.setQuantity({ subscriptionId: id }, 2); // nothing to change: not counted
    await t.billing.cancel({ subscriptionId: id }); // 3
    t.fake.clearRequests();

    const refused = await t.billing.resume('acct_seats').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(BillingActionLimitException);
    expect((refused as BillingActionLimitException).getStatus()).toBe(429);
    expect(t.fake.requests).toHaveLength(0);
    expect((await t.row(id))!.cancelAtPeriodEnd).toBe(true);
    const relinked = await t.billing.relinkSubscription(id, 'acct_seats_moved');
    expect(relinked).toMatchObject({ subscription: { accountRef: 'acct_seats_moved' } });
    await expect(t.billing.createBillingPortalSession('acct_seats_other', 'https://app.example/account')).rejects.toThrow(/send it to checkout first/);
  });

  it('validates the account reference before counting', async () => {
    await expect(t.billing.createCheckoutSession({ accountRef: 'user@example.com', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL })).rejects.toThrow(/letters, digits/);
    await expect(t.billing.syncCheckoutSession('cs_test_1', { accountRef: 'not an account' })).rejects.toThrow(/letters, digits/);
    expect(t.fake.requests).toHaveLength(0);
  });
});

describe('the reserve of the API budget for refreshes that decide access', () => {
  const LIMIT = 10; // the default lane may use 8 of them (20% reserve)
  let t: BillingHost;
  const pending: Promise<unknown>[] = [];

  beforeAll(async () => {
    t = await startBillingHost({ options: { maxRequestsPerMinute: LIMIT, rateLimitWindowMs: 60_000, billingActionLimit: false } });
  });
  afterAll(async () => {
    await t.close();
    // Calls still waiting in the default lane are refused at shutdown, never sent.
    const outcomes = await Promise.all(pending);
    const closed = outcomes.filter((outcome) => (outcome as Stripe.errors.StripeError | undefined)?.detail instanceof StripeRateLimiterClosedError);
    expect(closed.length).toBeGreaterThan(0);
    for (const refusal of closed) expect(refusal).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'litestripe_rate_limiter_closed' });
  });

  /** A subscription of `account` on the basic plan, stored through its webhook events: no API call. */
  async function storedSubscription(account: string): Promise<string> {
    const [seeded] = t.fake.seedSubscriptions(1, { price: t.prices.basic.id, recordEvents: true, metadata: () => ({ client_reference_id: account }) });
    const events = t.fake.events.filter((event) => (event.data.object as { id: string }).id === seeded.id || (event.data.object as { id: string }).id === seeded.customer);
    await t.deliver(...events);
    return seeded.id;
  }

  it('lets a stale-row refresh and a webhook refetch through while default-lane calls wait', async () => {
    const staleId = await storedSubscription('acct_stale');
    const conflictId = await storedSubscription('acct_conflict');
    expect(t.fake.requests).toHaveLength(0);

    // Saturate the default lane: 8 calls go out, 22 wait (for a minute).
    const stripe = t.app.get<Stripe>(getStripeClientToken());
    const limiter = rateLimiterQueues(t.app);
    pending.push(...defaultLaneCalls(stripe, 30));
    await until(() => t.fake.requests.length === 8 && limiter.waiting().default === 22);

    // A renewal webhook was missed: the row is stale and its entitlement waits on a refresh.
    const periodEnd = t.fake.subscriptions.get(staleId)!.items.data[0].current_period_end;
    const staleAt = periodEnd + STALE_AFTER + 60;
    t.fake.advanceClock(staleAt - t.fake.now());
    t.clock.advance(staleAt - t.clock.seconds());
    expect(await t.service.getEntitlement('acct_stale')).toMatchObject({ entitled: true, reason: 'active' });

    // Two events of one second disagree: the webhook asks Stripe (refetch: 'on-conflict').
    const second = t.fake.now();
    for (const status of ['active', 'past_due'] as const) {
      await t.deliver(buildStripeEvent('customer.subscription.updated', { ...t.fake.subscriptions.get(conflictId)!, status }, { created: second }));
    }
    expect((await t.dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: conflictId })).status).toBe('active');

    const sent = t.fake.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(sent).toEqual([...Array(8).fill('GET /v1/prices'), `GET /v1/subscriptions/${staleId}`, `GET /v1/subscriptions/${conflictId}`]);
    expect(limiter.waiting()).toEqual({ default: 22, refresh: 0 });
  });
});

describe('without a reserve (control)', () => {
  let t: BillingHost;
  const pending: Promise<unknown>[] = [];
  beforeAll(async () => {
    t = await startBillingHost({ options: { maxRequestsPerMinute: 4, rateLimitWindowMs: 60_000, maxRateLimitWaitMs: 500, rateLimitReserveForRefreshes: 0, billingActionLimit: false } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(pending);
  });

  it('a stale row cannot be refreshed once other calls used the budget, and does not entitle', async () => {
    const [seeded] = t.fake.seedSubscriptions(1, { price: t.prices.basic.id, recordEvents: true, metadata: () => ({ client_reference_id: 'acct_starved' }) });
    await t.deliver(...t.fake.events.all());
    const stripe = t.app.get<Stripe>(getStripeClientToken());
    pending.push(...defaultLaneCalls(stripe, 4));
    await until(() => t.fake.requests.length === 4);

    const periodEnd = t.fake.subscriptions.get(seeded.id)!.items.data[0].current_period_end;
    t.clock.advance(periodEnd + STALE_AFTER + 60 - t.clock.seconds());

    expect(await t.service.getEntitlement('acct_starved')).toMatchObject({ entitled: false, reason: 'stale' });
    expect(t.fake.requests.filter((r) => r.path.startsWith('/v1/subscriptions/'))).toHaveLength(0);
  });
});

describe('a full queue of the rate limiter', () => {
  let t: BillingHost;
  const pending: Promise<unknown>[] = [];
  beforeAll(async () => {
    // The default lane gets 1 request a minute and may hold 3 waiting calls; refreshes get the other request.
    t = await startBillingHost({ options: { maxRequestsPerMinute: 2, rateLimitWindowMs: 60_000, rateLimitReserveForRefreshes: 0.5, maxRateLimitQueue: 3 } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(pending);
  });

  it('refuses one more call at once, sending nothing, while a refresh still gets through', async () => {
    const stripe = t.app.get<Stripe>(getStripeClientToken());
    const limiter = rateLimiterQueues(t.app);
    // One call at a time at first: a call whose slot is still being asked for is in the queue too.
    pending.push(...defaultLaneCalls(stripe, 1));
    await until(() => t.fake.requests.length === 1);
    pending.push(...defaultLaneCalls(stripe, 3));
    await until(() => limiter.waiting().default === 3);

    const refused = await t.billing.createCheckoutSession({ accountRef: 'acct_late', plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL }).catch((error: unknown) => error);

    expect(refused).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'litestripe_rate_limit_queue_full' });
    expect((refused as Stripe.errors.StripeError).detail).toBeInstanceOf(StripeRateLimitQueueFullError);
    expect((refused as Error).message).toMatch(/3 Stripe API calls are already waiting .*maxRateLimitQueue.*not sent/);
    expect(t.fake.requests).toHaveLength(1);
    expect(limiter.waiting()).toEqual({ default: 3, refresh: 0 });

    const list = await inRefreshLane(() => stripe.prices.list({ limit: 1 }));
    expect(list.object).toBe('list');
    expect(t.fake.requests).toHaveLength(2);
  });
});

describe.each<Registration>(['forRoot', 'forRootAsync'])('start-up validation of the fair-use options with %s', (registration) => {
  afterEach(() => closeOpenedDataSources());
  const VALID: LitestripeModuleOptions = {
    secretKey: 'sk_test_51ValidSecretKeyForFairUse0000000',
    webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
    webhookSecret: 'whsec_validfairusesecretddddddddddddddddddd',
  };

  it.each<[Partial<Record<keyof LitestripeModuleOptions, unknown>>, string, RegExp]>([
    [{ rateLimitReserveForRefreshes: 1 }, 'rateLimitReserveForRefreshes', /from 0 to below 1 \(got 1\)/],
    [{ rateLimitReserveForRefreshes: -0.2 }, 'rateLimitReserveForRefreshes', /from 0 to below 1/],
    [{ rateLimitReserveForRefreshes: '20%' }, 'rateLimitReserveForRefreshes', /from 0 to below 1/],
    [{ maxRateLimitQueue: 0 }, 'maxRateLimitQueue', /whole number from 1/],
    [{ billingActionLimit: { limit: 0 } }, 'billingActionLimit.limit', /positive whole number/],
    [{ billingActionLimit: { limit: 5, windowSeconds: 0.5 } }, 'billingActionLimit.windowSeconds', /positive whole number/],
    [{ billingActionLimit: 'off' }, 'billingActionLimit', /\{ limit, windowSeconds \} or false/],
  ])('refuses %j, naming the option', async (options, option, problem) => {
    const merged = { ...VALID, ...options } as LitestripeModuleOptions;
    const module = registration === 'forRoot' ? LitestripeModule.forRoot(merged) : LitestripeModule.forRootAsync({ useFactory: async () => merged });
    const error = await compileHost(module).then(
      () => new Error('expected the boot to fail'),
      (caught: Error) => caught,
    );
    expect(error.name).toBe('LitestripeConfigError');
    expect(error.message).toContain(`Litestripe option "${option}"`);
    expect(error.message).toMatch(problem);
    expect(error.message).not.toContain(VALID.secretKey);
  });
});
