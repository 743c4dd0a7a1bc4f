import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Guest, GuestAccessToken, OrphanedPayment, StripeSubscription } from '@litestripe/nestjs';
import type { FakeStripe } from '@litestripe/nestjs/testing';
import { prepareAdminToken } from '../apps/demo/src/admin-token.config';
import { SUMMARIES_METER } from '../apps/demo/src/demo-plans';
import { serializedPGliteDriver } from '../apps/demo/src/pglite.driver';
import { prepareSandboxEnv, SandboxKeys } from '../apps/demo/src/sandbox/sandbox-env';
import { runSandboxLifecycle, SandboxResult } from '../apps/demo/src/sandbox/sandbox-lifecycle';
import { SANDBOX_STRIPE } from '../apps/demo/src/sandbox/sandbox-stripe.module';

/** Keeps what the app logs, by context, to read the timeline back. */
class CapturingLogger implements LoggerService {
  readonly lines: { level: string; context: string; message: string }[] = [];
  log = (message: unknown, context?: string) => this.push('log', message, context);
  error = (message: unknown, ...rest: unknown[]) => this.push('error', message, String(rest.at(-1)));
  warn = (message: unknown, context?: string) => this.push('warn', message, context);
  debug = (message: unknown, context?: string) => this.push('debug', message, context);
  verbose = (message: unknown, context?: string) => this.push('verbose', message, context);
  fatal = (message: unknown, ...rest: unknown[]) => this.push('fatal', message, String(rest.at(-1)));

  of(context: string): string[] {
    return this.lines.filter((line) => line.context === context).map((line) => line.message);
  }

  private push(level: string, message: unknown, context = '') {
    this.lines.push({ level, context, message: String(message) });
  }
}

const STRIPE_AND_DATABASE_VARIABLES = [
  'DATABASE_URL',
  'PGLITE_DATA_DIR',
  'STRIPE_SECRET_KEY',
  'STRIPE_PUBLIC_KEY',
  'STRIPE_WEBHOOK_UUID',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_WEBHOOK_SECRET_FILE',
  'LITESTRIPE_SANDBOX',
  'DEMO_ADMIN_TOKEN',
];

describe('the demo app in sandbox mode over embedded PostgreSQL and the fake Stripe', () => {
  const savedEnv = Object.fromEntries(STRIPE_AND_DATABASE_VARIABLES.map((name) => [name, process.env[name]]));
  const logger = new CapturingLogger();
  let app: INestApplication;
  let result: SandboxResult;
  let keys: SandboxKeys;
  let adminToken: string;
  /** Every guest token a success page answered, to check that no log line shows one. */
  const issuedTokens: string[] = [];

  beforeAll(async () => {
    // Empty rather than deleted, so that a developer's .env cannot fill them in.
    for (const name of STRIPE_AND_DATABASE_VARIABLES) process.env[name] = '';
    keys = prepareSandboxEnv();
    adminToken = prepareAdminToken().token;
    // Imported only now: the module reads the database settings when it is loaded.
    const { AppModule } = await import('../apps/demo/src/app.module');
    app = await NestFactory.create(AppModule, { rawBody: true, logger });
    await app.listen(0, '127.0.0.1');
    result = await runSandboxLifecycle(app, keys, adminToken);
    issuedTokens.push(result.guestToken);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('generates a placeholder key, a webhook secret and a UUID the module accepts', () => {
    expect(process.env.STRIPE_SECRET_KEY).toMatch(/^sk_test_sandbox[0-9a-f]+$/);
    expect(process.env.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_[0-9a-f]{48}$/);
    expect(process.env.STRIPE_WEBHOOK_UUID).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lets the account in only while its subscription entitles, and keeps billing reachable when a payment failed', () => {
    expect(result.statuses).toMatchObject({
      pricing: 200,
      premiumBefore: 403,
      supportBefore: 403,
      checkout: 303,
      pay: 303,
      success: 200,
      premiumAfterCheckout: 200,
      reports: 200,
      export: 200,
      support: 200,
      search: 200,
      apiExport: 201,
      summary: 201,
      summaryRetry: 201,
      statusUsage: 200,
      premiumPastDue: 403,
      portalPastDue: 303,
      premiumRecovered: 200,
      portalCancel: 303,
      status: 200,
      premiumCanceling: 200,
      premiumAfterEnd: 403,
      adminWithoutToken: 401,
      adminCsrf: 200,
      unclaimed: 200,
      claim: 200,
      lookupClaimed: 200,
      premiumClaimed: 200,
      visitorExport: 201,
      visitorSearch: 429,
      visitorStatus: 200,
      creditsCheckout: 303,
      creditsPay: 303,
      creditsSuccess: 200,
      creditSearch: 200,
      creditExport: 201,
      creditStatus: 200,
      refundStatus: 200,
      lifetimeCheckout: 303,
      lifetimePay: 303,
      lifetimeSuccess: 200,
      lifetimeReports: 200,
      lifetimeSupport: 403,
      lifetimeStatus: 200,
      guestCheckout: 303,
      guestPay: 303,
      guestSuccess: 200,
      guestSuccessReload: 200,
      guestReports: 200,
      guestNoToken: 401,
      guestBadToken: 401,
      guestInvoices: 200,
      guestPortal: 303,
      guestLink: 201,
      linkedReports: 200,
      linkedToken: 401,
      linkedInvoices: 200,
      linkedPreview: 200,
    });
  });

  it('shows each decorator at work on a signed-in request', async () => {
    const server = app.getHttpServer();
    await request(server).get('/premium').expect(401);
    await request(server).get('/premium').set('x-user', result.accountRef).expect(403);
    const claimed = result.claimedAccountRef; // on the basic plan
    await request(server).get('/premium/dashboard').set('x-user', claimed).expect(200);
    await request(server).get('/premium/reports').set('x-user', claimed).expect(403);
    await request(server).get('/premium/export').set('x-user', claimed).expect(403);
    await request(server).get('/premium/support').set('x-user', claimed).expect(403);
    const pricing = await request(server).get('/pricing').expect(200);
    expect(pricing.body.plans.map((p: { plan: string }) => p.plan)).toEqual(['basic', 'pro']);
    expect(pricing.body.plans.map((p: { lifetime: unknown }) => p.lifetime)).toEqual([null, { price: expect.stringMatching(/^price_/), name: 'Pro for life', amount: 29900, currency: 'usd', purchase: { lifetimePlan: 'pro' } }]);
    expect(pricing.body.creditPacks).toEqual([{ pack: 'api_calls_100', credits: { api_calls: 100 }, price: expect.stringMatching(/^price_/), name: '100 API calls', amount: 500, currency: 'usd', purchase: { creditPack: 'api_calls_100', quantity: 1 } }]);
  });

  it('leaves the subscription canceled, linked to its account, on the pro plan', async () => {
    const row = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ id: result.subscriptionId });
    expect(row).toMatchObject({ accountRef: result.accountRef, status: 'canceled', cancelAtPeriodEnd: true, lookupKey: 'demo_pro_monthly' });
  });

  it('records the payment without an account as one orphan, which support claimed', async () => {
    const dataSource = app.get(DataSource);
    const orphans = await dataSource.getRepository(OrphanedPayment).find();
    expect(orphans).toHaveLength(1);
    expect(orphans[0]).toMatchObject({ id: result.orphanId, email: 'stranger@example.com', reason: 'missing_reference', subscriptionId: result.orphanSubscriptionId, amount: 900, currency: 'usd' });
    expect(orphans[0].resolvedAt).toBeInstanceOf(Date);
    expect(await dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: result.orphanSubscriptionId })).toMatchObject({ accountRef: result.claimedAccountRef });
  });

  it('logs one timeline line per domain event, in order: the success page before the webhooks, nothing twice', () => {
    const billing = logger.of('Billing');
    expect(billing.map((line) => line.slice(0, 22).trim())).toEqual([
      // success page: synced from Stripe, with the features Stripe grants
      'subscription created',
      'access granted',
      'stripe features',
      // the webhooks: only what the sync could not know
      'payment succeeded',
      'checkout completed',
      // renewal fails
      'subscription updated',
      'access revoked',
      'payment failed',
      // the retry succeeds
      'subscription updated',
      'access granted',
      // canceled in the portal
      'subscription updated',
      'cancellation scheduled',
      // the period ends
      'subscription updated',
      'access revoked',
      'subscription ended',
      'stripe features',
      // the final invoice bills the last period's metered summaries
      'payment succeeded',
      // a payment link without an account, then support's claim
      'subscription created',
      'payment succeeded',
      'subscription updated',
      'checkout completed',
      'orphaned payment',
      'subscription updated',
      'access granted',
      'orphan claimed',
      // the visitor buys credits (synced on the success page), support refunds half
      'purchase completed',
      'purchase revoked',
      // pro for life
      'purchase completed',
      // a guest buys pro: synced on its success page, then the webhooks
      'subscription created',
      'access granted',
      'stripe features',
      'payment succeeded',
      'checkout completed',
      // the guest signs up and is linked to its account
      'subscription updated',
      'access revoked',
      'access granted',
      'guest linked',
    ]);
    expect(billing[1]).toBe(`access granted         account ${result.accountRef} may use premium`);
    expect(billing[3]).toContain('19.00 USD');
    // The renewal bills the period's reported summaries (5 cents) beside pro's price.
    expect(billing[7]).toContain('19.05 USD');
    expect(billing[2]).toMatch(new RegExp(`^stripe features +cus_\\w+ \\(account ${result.accountRef}\\): none → priority_support$`));
    expect(billing[4]).toContain(`account ${result.accountRef}`);
    expect(billing[15]).toMatch(/^stripe features +cus_\w+ \(account user_\w+\): priority_support → none$/);
    expect(billing[20]).toContain('no account');
    expect(billing[21]).toContain('missing_reference');
    expect(billing[24]).toBe(`orphan claimed         #${result.orphanId} → account ${result.claimedAccountRef} (${result.orphanSubscriptionId})`);
    expect(billing[25]).toMatch(new RegExp(`^purchase completed +pi_\\w+, 10\\.00 USD → account ${result.visitorRef}: 200 api_calls credits$`));
    expect(billing[26]).toMatch(new RegExp(`^purchase revoked +pi_\\w+ of account ${result.visitorRef} \\(partial refund\\): 100 api_calls credits taken back$`));
    expect(billing[27]).toMatch(new RegExp(`^purchase completed +pi_\\w+, 299\\.00 USD → account ${result.lifetimeRef}: pro for life$`));
    // A guest's lines name its guest id, never its email or token.
    expect(billing[28]).toBe(`subscription created   ${result.guestSubscriptionId} (guest ${result.guestId}), active`);
    expect(billing[29]).toBe(`access granted         guest ${result.guestId} may use premium`);
    expect(billing[32]).toMatch(new RegExp(`^checkout completed +cs_\\w+ → guest ${result.guestId}$`));
    expect(billing[34]).toBe(`access revoked         guest ${result.guestId} (moved to account ${result.guestAccountRef})`);
    expect(billing[35]).toBe(`access granted         account ${result.guestAccountRef} may use premium`);
    expect(billing[36]).toBe(`guest linked           guest ${result.guestId} → account ${result.guestAccountRef} (${result.guestSubscriptionId}, by token)`);
  });

  describe("support's admin (LitestripeAdminModule) behind the demo admin token", () => {
    const server = () => app.getHttpServer();
    const bearer = () => `Bearer ${adminToken}`;

    it('refuses every admin page and endpoint without the token, with a wrong one, or to a signed-in account', async () => {
      for (const path of ['/admin', '/admin/unclaimed', '/admin/api/unclaimed', '/admin/api/csrf', `/admin/api/lookup?q=${result.claimedAccountRef}`]) {
        const refused = await request(server()).get(path).expect(401);
        expect(refused.body.message).toContain('/admin-login?token=<token>');
        // Refused before the admin runs: not even a CSRF cookie is handed out.
        expect(refused.headers['set-cookie']).toBeUndefined();
        await request(server()).get(path).set('authorization', 'Bearer not-the-demo-admin-token').expect(401);
        await request(server()).get(path).set('authorization', adminToken).expect(401);
        await request(server()).get(path).set('authorization', `Bearer ${adminToken.slice(0, -1)}`).expect(401);
        await request(server()).get(path).set('cookie', 'admin_token=not-the-demo-admin-token').expect(401);
        await request(server()).get(path).set('cookie', 'admin_token=%E0%A4%A').expect(401);
        await request(server()).get(path).set('x-user', result.claimedAccountRef).expect(401);
      }
      await request(server()).post(`/admin/api/orphans/${result.orphanId}/claim`).send({ accountRef: 'user_intruder' }).expect(401);
    });

    it('opens the pages and the API to the token as a Bearer header, and logs the actions as the actor demo-admin', async () => {
      const unclaimed = await request(server()).get('/admin/api/unclaimed').set('authorization', bearer()).expect(200);
      expect(unclaimed.body.orphans.map((orphan: { id: number }) => orphan.id)).not.toContain(result.orphanId);
      const page = await request(server()).get('/admin/unclaimed').set('authorization', bearer()).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const lookup = await request(server()).get(`/admin/api/lookup?q=${result.claimedAccountRef}`).set('authorization', bearer()).expect(200);
      expect(lookup.body.accounts).toEqual([expect.objectContaining({ accountRef: result.claimedAccountRef, entitled: true })]);
      // The sandbox's claim, with its actor, by ids.
      expect(logger.of('LitestripeAdmin')).toEqual([expect.stringMatching(new RegExp(`^actor demo-admin: claim of orphaned payment #${result.orphanId} for account ${result.claimedAccountRef}: `))]);
    });

    it('signs a browser in at /admin-login with an HttpOnly, SameSite=Strict cookie for /admin, whose session can act with the CSRF token', async () => {
      const wrong = await request(server()).get('/admin-login?token=not-the-demo-admin-token').expect(401);
      expect(wrong.headers['set-cookie']).toBeUndefined();
      await request(server()).get('/admin-login').expect(401);

      const login = await request(server()).get(`/admin-login?token=${encodeURIComponent(adminToken)}`).expect(303);
      expect(login.headers.location).toBe('/admin');
      expect(login.headers['set-cookie']).toEqual([`admin_token=${adminToken}; Path=/admin; HttpOnly; SameSite=Strict`]);
      const session = login.headers['set-cookie'][0].split(';')[0];
      const page = await request(server()).get('/admin').set('cookie', session).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csrfCookie = String(page.headers['set-cookie']).split(';')[0];
      const csrfToken = /<meta name="csrf-token" content="([\w-]+)">/.exec(page.text)?.[1];
      expect(csrfToken).toBeDefined();

      const claim = `/admin/api/orphans/${result.orphanId}/claim`;
      const cookies = `${session}; ${csrfCookie}`;
      await request(server()).post(claim).set('cookie', cookies).send({ accountRef: result.claimedAccountRef }).expect(403);
      const again = await request(server()).post(claim).set('cookie', cookies).set('x-csrf-token', csrfToken!).send({ accountRef: result.claimedAccountRef }).expect(200);
      expect(again.body).toEqual({ orphanId: result.orphanId, subscriptionId: result.orphanSubscriptionId, accountRef: result.claimedAccountRef, alreadyClaimed: true });
    });

    it('no longer has the unauthenticated /admin/orphans', async () => {
      await request(server()).get('/admin/orphans').expect(404);
      await request(server()).get('/admin/orphans').set('authorization', bearer()).expect(404);
      await request(server()).post(`/admin/orphans/${result.orphanId}/claim`).send({ accountRef: 'user_intruder' }).expect(404);
    });
  });

  describe('the usage-limited API', () => {
    const fake = () => app.get<FakeStripe>(SANDBOX_STRIPE);
    /** The fake Stripe's now (the module's clock) and the end of its calendar month, in UTC: the free tier's period. */
    const freePeriod = () => {
      const now = new Date(fake().now() * 1000);
      const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      return { end, secondsLeft: Math.ceil((end.getTime() - now.getTime()) / 1000) };
    };
    const meterOf = async (account: string) => {
      const status = await request(app.getHttpServer()).get('/billing/status').set('x-user', account).expect(200);
      return status.body.usage as Record<string, unknown>[];
    };
    /** Checkout through the demo's routes and the fake's hosted page, as a customer would. */
    const subscribe = async (account: string, query: string) => {
      const checkout = await request(app.getHttpServer()).get(`/billing/checkout?${query}`).set('x-user', account).expect(303);
      const paid = await fetch(`${checkout.headers.location}/pay`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `${account}@example.com` }).toString(),
      });
      expect(paid.status).toBe(303);
      const success = new URL(paid.headers.get('location')!);
      await request(app.getHttpServer()).get(`${success.pathname}${success.search}`).expect(200, { checkout: 'complete', entitled: true, plan: query.match(/plan=(\w+)/)![1], reason: 'active' });
    };

    it('lets a visitor without a subscription make 10 calls with the rate-limit headers, then answers 429 until the month ends', async () => {
      const server = app.getHttpServer();
      const visitor = 'visitor_free_tier';
      for (let call = 1; call <= 10; call++) {
        const answer = await request(server).get('/api/search?q=revenue').set('x-user', visitor).expect(200, { query: 'revenue', results: ['monthly revenue'] });
        expect(answer.headers['x-ratelimit-limit-api_calls']).toBe('10');
        expect(answer.headers['x-ratelimit-remaining-api_calls']).toBe(String(10 - call));
        const reset = Number(answer.headers['x-ratelimit-reset-api_calls']);
        expect(reset).toBeLessThanOrEqual(freePeriod().secondsLeft + 1);
        expect(reset).toBeGreaterThanOrEqual(freePeriod().secondsLeft - 2);
      }
      const refused = await request(server).get('/api/search?q=revenue').set('x-user', visitor).expect(429);
      const { end, secondsLeft } = freePeriod();
      expect(refused.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `The api_calls limit of 10 for this period is used up; it resets at ${end.toISOString()}.`,
        reason: 'usage_limit',
        metric: 'api_calls',
        limit: 10,
        used: 10,
        resetsAt: end.toISOString(),
        retryAfterSeconds: expect.any(Number),
      });
      expect(Math.abs(refused.body.retryAfterSeconds - secondsLeft)).toBeLessThanOrEqual(2);
      expect(refused.headers['retry-after']).toBe(String(refused.body.retryAfterSeconds));
      expect(refused.headers).toMatchObject({ 'x-ratelimit-limit-api_calls': '10', 'x-ratelimit-remaining-api_calls': '0' });
      // A refused call takes nothing: the meter stays at the limit.
      expect(await meterOf(visitor)).toEqual([
        { metric: 'api_calls', used: 10, limit: 10, credits: 0, remaining: 0, periodEnd: end.toISOString(), nearLimit: true, overLimit: true, source: 'free', plan: null, seats: null },
        // Not granted without a plan.
        { metric: 'summaries', used: 0, limit: 0, credits: 0, remaining: 0, periodEnd: end.toISOString(), nearLimit: true, overLimit: true, source: 'none', plan: null, seats: null },
      ]);
    });

    it('charges an export 10 calls at once, and refuses it when fewer remain while a search still fits', async () => {
      const server = app.getHttpServer();
      const visitor = 'visitor_exports';
      const exported = await request(server).post('/api/exports').set('x-user', visitor).expect(201, { export: 'csv', rows: 5, cost: 10 });
      expect(exported.headers['x-ratelimit-remaining-api_calls']).toBe('0');

      const other = 'visitor_exports_after_searches';
      for (let call = 0; call < 8; call++) await request(server).get('/api/search').set('x-user', other).expect(200);
      expect(await meterOf(other)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 8, limit: 10, remaining: 2, nearLimit: true, overLimit: false }), expect.objectContaining({ metric: 'summaries', source: 'none' })]);
      const refused = await request(server).post('/api/exports').set('x-user', other).expect(429);
      expect(refused.body).toMatchObject({ reason: 'usage_limit', metric: 'api_calls', limit: 10, used: 8 });
      await request(server).get('/api/search').set('x-user', other).expect(200);
      expect(await meterOf(other)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 9, remaining: 1, overLimit: false }), expect.objectContaining({ metric: 'summaries' })]);
    });

    it("gives a subscriber the plan's api_calls per seat, counted in the subscription's billing period, in the headers and the meter", async () => {
      const server = app.getHttpServer();
      const account = 'team_of_three';
      await subscribe(account, 'plan=basic&seats=3');
      const row = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ accountRef: account });
      expect(row).toMatchObject({ quantity: 3, lookupKey: 'demo_basic_monthly', status: 'active' });

      const answer = await request(server).get('/api/search?q=churn').set('x-user', account).expect(200, { query: 'churn', results: ['churn by cohort'] });
      expect(answer.headers).toMatchObject({ 'x-ratelimit-limit-api_calls': '300', 'x-ratelimit-remaining-api_calls': '299' });
      const reset = Number(answer.headers['x-ratelimit-reset-api_calls']);
      const periodLeft = row.currentPeriodEnd!.getTime() / 1000 - fake().now();
      expect(Math.abs(reset - periodLeft)).toBeLessThanOrEqual(2);
      await request(server).post('/api/exports').set('x-user', account).expect(201);

      const status = await request(server).get('/billing/status').set('x-user', account).expect(200);
      expect(status.body).toMatchObject({ entitled: true, plan: 'basic', limits: { api_calls: 100 } });
      const periodEnd = row.currentPeriodEnd!.toISOString();
      expect(status.body.usage).toEqual([
        { metric: 'api_calls', used: 11, limit: 300, credits: 0, remaining: 289, periodEnd, nearLimit: false, overLimit: false, source: 'plan', plan: 'basic', seats: 3 },
        // Basic does not list summaries: it grants none, and the route requires pro.
        { metric: 'summaries', used: 0, limit: 0, credits: 0, remaining: 0, periodEnd, nearLimit: true, overLimit: true, source: 'plan', plan: 'basic', seats: 3 },
      ]);
      await request(server).post('/api/summaries').set('x-user', account).expect(403);
      // One seat of basic: 100 calls.
      expect(await meterOf(result.claimedAccountRef)).toEqual([expect.objectContaining({ metric: 'api_calls', used: 0, limit: 100, remaining: 100, source: 'plan', plan: 'basic', seats: 1 }), expect.objectContaining({ metric: 'summaries' })]);
    });

    it("reports pro's summaries to the sandbox's Stripe meter, once per Idempotency-Key", async () => {
      const server = app.getHttpServer();
      const account = 'pro_summaries';
      await subscribe(account, 'plan=pro');
      const row = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ accountRef: account });
      const subscription = fake().subscriptions.get(row.id)!;
      expect(subscription.items.data.map((item) => [item.price.lookup_key, item.price.recurring?.usage_type])).toEqual([
        ['demo_pro_monthly', 'licensed'],
        ['demo_summaries_metered', 'metered'],
      ]);

      const first = await request(server).post('/api/summaries').set('x-user', account).set('idempotency-key', 'report-42').expect(201);
      expect(first.body).toEqual({ summary: expect.any(String), used: 1, metered: true, duplicate: false });
      await request(server).post('/api/summaries').set('x-user', account).set('idempotency-key', 'report-42').expect(201, { summary: first.body.summary, used: 1, metered: true, duplicate: true });
      await request(server).post('/api/summaries').set('x-user', account).expect(201, { summary: first.body.summary, used: 2, metered: true, duplicate: false });

      const customer = subscription.customer as string;
      const deadline = Date.now() + 5000;
      while (fake().meterEvents({ eventName: SUMMARIES_METER, customer }).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      const events = fake().meterEvents({ eventName: SUMMARIES_METER, customer });
      expect(events.map((event) => event.payload)).toEqual([
        { stripe_customer_id: customer, value: '1' },
        { stripe_customer_id: customer, value: '1' },
      ]);
      expect(fake().meterUsage(customer, SUMMARIES_METER, { from: row.currentPeriodStart!.getTime() / 1000, to: row.currentPeriodEnd!.getTime() / 1000 })).toBe(2);

      const status = await request(server).get('/billing/status').set('x-user', account).expect(200);
      expect(status.body.usage).toEqual([
        expect.objectContaining({ metric: 'api_calls', used: 0, limit: 1000, remaining: 1000, plan: 'pro', seats: 1 }),
        // Unlimited: null in JSON.
        { metric: 'summaries', used: 2, limit: null, credits: 0, remaining: null, periodEnd: row.currentPeriodEnd!.toISOString(), nearLimit: false, overLimit: false, source: 'plan', plan: 'pro', seats: 1 },
      ]);
    });

    it('requires a signed-in account, and refuses a seats count that is not a number', async () => {
      const server = app.getHttpServer();
      await request(server).get('/api/search').expect(401);
      await request(server).get('/billing/checkout?plan=basic&seats=many').set('x-user', 'someone').expect(400);
    });
  });

  describe('what is sold once, and features from Stripe', () => {
    const fake = () => app.get<FakeStripe>(SANDBOX_STRIPE);
    const get = (path: string, account: string) => request(app.getHttpServer()).get(path).set('x-user', account);
    /** Pays on the fake's hosted page where the demo redirected, and follows Stripe back to the success page. */
    const payAndReturn = async (checkoutUrl: string, account: string) => {
      const paid = await fetch(`${checkoutUrl}/pay`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: `${account}@example.com` }).toString(),
      });
      expect(paid.status).toBe(303);
      const success = new URL(paid.headers.get('location')!);
      return (await request(app.getHttpServer()).get(`${success.pathname}${success.search}`).expect(200)).body;
    };
    const buy = async (account: string, body: Record<string, unknown>) => {
      const checkout = await request(app.getHttpServer()).post('/billing/purchase').set('x-user', account).send(body).expect(303);
      return payAndReturn(checkout.headers.location, account);
    };
    /** Signs and posts to the demo's webhook what the fake Stripe emitted since `from`, in order. */
    const deliverSince = async (from: number) => {
      const endpoint = { url: `${await app.getUrl()}/ls/hook/${keys.webhookUuid}`.replace('[::1]', '127.0.0.1'), secret: keys.webhookSecret };
      for (const event of fake().events.all().slice(from)) expect((await fake().deliver(event, endpoint)).ok).toBe(true);
    };
    const apiCalls = async (account: string) => ((await get('/billing/status', account).expect(200)).body.usage as { metric: string }[]).find((u) => u.metric === 'api_calls');

    it('sells a pack of api_calls credits that @UsageLimit() spends once the free allowance is used up, then answers 429', async () => {
      const account = 'credit_buyer';
      const success = await buy(account, { creditPack: 'api_calls_100' });
      expect(success).toEqual({ checkout: 'complete', purchase: { payment: 'paid', lifetimePlans: [], credits: { api_calls: 100 } }, entitled: false, plan: null, reason: 'no_subscription' });
      expect(await apiCalls(account)).toMatchObject({ used: 0, limit: 10, credits: 100, remaining: 110, source: 'free', overLimit: false });

      // The free allowance first: an export is its 10 calls, and the credits stay whole.
      const free = await request(app.getHttpServer()).post('/api/exports').set('x-user', account).expect(201);
      expect(free.headers).toMatchObject({ 'x-ratelimit-limit-api_calls': '10', 'x-ratelimit-remaining-api_calls': '100' });
      expect(await apiCalls(account)).toMatchObject({ used: 10, credits: 100, remaining: 100 });
      // Then the credits: a search takes one, each export ten.
      const paid = await get('/api/search?q=churn', account).expect(200);
      expect(paid.headers['x-ratelimit-remaining-api_calls']).toBe('99');
      for (let i = 0; i < 9; i++) await request(app.getHttpServer()).post('/api/exports').set('x-user', account).expect(201);
      expect(await apiCalls(account)).toMatchObject({ used: 10, credits: 9, remaining: 9, overLimit: false });
      // An export no longer fits; the last nine searches do.
      await request(app.getHttpServer()).post('/api/exports').set('x-user', account).expect(429);
      for (let i = 0; i < 9; i++) await get('/api/search', account).expect(200);
      const refused = await get('/api/search', account).expect(429);
      expect(refused.body).toMatchObject({ reason: 'usage_limit', metric: 'api_calls', limit: 10, used: 10 });
      expect(await apiCalls(account)).toMatchObject({ used: 10, credits: 0, remaining: 0, overLimit: true });
      expect(logger.of('Billing')).toEqual(expect.arrayContaining([expect.stringMatching(/^purchase completed +pi_\w+, 5\.00 USD → account credit_buyer: 100 api_calls credits$/)]));
    });

    it('refuses a purchase of nothing, or of a lifetime plan more than once at a time', async () => {
      await request(app.getHttpServer()).post('/billing/purchase').set('x-user', 'undecided').send({}).expect(400);
      await request(app.getHttpServer()).post('/billing/purchase').set('x-user', 'undecided').send({ lifetimePlan: 'pro', quantity: 2 }).expect(400);
      await request(app.getHttpServer()).post('/billing/purchase').set('x-user', 'undecided').send({ lifetimePlan: 'basic' }).expect(400);
      await request(app.getHttpServer()).post('/billing/purchase').send({ lifetimePlan: 'pro' }).expect(401);
    });

    it("opens pro's routes for good with pro for life, with the plan's configured features but not Stripe's", async () => {
      const account = 'lifetime_buyer';
      await get('/premium/reports', account).expect(403);
      const success = await buy(account, { lifetimePlan: 'pro' });
      expect(success).toEqual({ checkout: 'complete', purchase: { payment: 'paid', lifetimePlans: ['pro'], credits: {} }, entitled: true, plan: 'pro', reason: 'lifetime' });
      await get('/premium/reports', account).expect(200, { reports: ['revenue', 'churn'] });
      await get('/premium/export', account).expect(200);
      // Stripe grants its features to subscriptions only.
      await get('/premium/support', account).expect(403);
      fake().advanceClock(400 * 86_400);
      await get('/premium/reports', account).expect(200);
      const status = await get('/billing/status', account).expect(200);
      expect(status.body).toMatchObject({ entitled: true, reason: 'lifetime', plan: 'pro', lifetimePlans: ['pro'], features: { reports: 'lifetime plan pro', export: 'lifetime plan pro' } });
      expect(await apiCalls(account)).toMatchObject({ limit: 1000, source: 'plan', plan: 'pro' });
      expect(logger.of('Billing')).toEqual(expect.arrayContaining([expect.stringMatching(/^purchase completed +pi_\w+, 299\.00 USD → account lifetime_buyer: pro for life$/)]));
    });

    it("keeps the priority_support route (a Stripe feature) closed without a pro subscription, and opens it once Stripe's entitlement summary arrives", async () => {
      const account = 'support_seeker';
      const denied = await get('/premium/support', account).expect(403);
      expect(denied.body).toMatchObject({ reason: 'subscription_required' });
      const from = fake().events.all().length;
      const checkout = await get('/billing/checkout?plan=pro', account).expect(303);
      expect(await payAndReturn(checkout.headers.location, account)).toEqual({ checkout: 'complete', entitled: true, plan: 'pro', reason: 'active' });
      await deliverSince(from);
      await get('/premium/support', account).expect(200, { support: 'priority', answerWithin: '4h' });
      const status = await get('/billing/status', account).expect(200);
      expect(status.body.features).toEqual({ reports: 'plan pro', export: 'plan pro', priority_support: 'stripe' });
      expect(logger.of('Billing')).toEqual(expect.arrayContaining([expect.stringMatching(/^stripe features +cus_\w+ \(account support_seeker\): none → priority_support$/)]));
      // Basic's product carries no Stripe feature.
      const basic = await get('/premium/support', result.claimedAccountRef).expect(403);
      expect(basic.body).toMatchObject({ reason: 'feature_required' });
    });
  });

  describe('guests: a visitor who buys without an account, let in by an access token', () => {
    const fake = () => app.get<FakeStripe>(SANDBOX_STRIPE);
    const server = () => app.getHttpServer();
    const asGuest = (path: string, token: string) => request(server()).get(path).set('x-guest-token', token);
    const madeUpToken = () => `lsg_${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    /** Through the demo's routes and the fake's hosted page, as a visitor would: the success page's path. */
    const guestPays = async (plan: string, email: string) => {
      const checkout = await request(server()).get(`/guest/checkout?plan=${plan}`).expect(303);
      const paid = await fetch(`${checkout.headers.location}/pay`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      });
      expect(paid.status).toBe(303);
      const success = new URL(paid.headers.get('location')!);
      expect(success.pathname).toBe('/guest/success');
      return `${success.pathname}${success.search}`;
    };
    /** A guest who paid for `plan`: its id and the token its success page showed. */
    const guestBuys = async (plan: string, email: string) => {
      const success = await request(server()).get(await guestPays(plan, email)).expect(200);
      issuedTokens.push(success.body.token);
      return { guestId: success.body.guest as string, token: success.body.token as string };
    };
    /** Signs and posts to the demo's webhook what the fake Stripe emitted since `from`, in order. */
    const deliverSince = async (from: number) => {
      const endpoint = { url: `${await app.getUrl()}/ls/hook/${keys.webhookUuid}`.replace('[::1]', '127.0.0.1'), secret: keys.webhookSecret };
      for (const event of fake().events.all().slice(from)) expect((await fake().deliver(event, endpoint)).ok).toBe(true);
    };

    it('shows the access token once on the success page, stores only its hash, and shows none on a reload', async () => {
      const successPath = await guestPays('basic', 'once@example.com');
      const first = await request(server()).get(successPath).expect(200);
      issuedTokens.push(first.body.token);
      expect(first.body).toEqual({
        checkout: 'complete',
        guest: expect.stringMatching(/^[\w-]{22}$/),
        token: expect.stringMatching(/^lsg_[\w-]{22}\.[\w-]{43}$/),
        tokenExpiresAt: null,
        note: 'Keep this token: it is shown once. Send it as the x-guest-token header to use premium routes, open /guest/portal and /guest/invoices.',
      });
      const reload = await request(server()).get(successPath).expect(200);
      expect(reload.body).toEqual({ checkout: 'complete', guest: first.body.guest, note: expect.stringContaining('shown on the first visit') });

      const dataSource = app.get(DataSource);
      const guest = await dataSource.getRepository(Guest).findOneByOrFail({ id: first.body.guest });
      expect(guest).toMatchObject({ email: 'once@example.com', linkedAccountRef: null });
      const [stored] = await dataSource.getRepository(GuestAccessToken).findBy({ guestId: guest.id });
      const [selector, verifier] = (first.body.token as string).slice(4).split('.');
      expect(stored.selector).toBe(selector);
      expect(Buffer.from(stored.verifierHash).toString('hex')).toBe(createHash('sha256').update(verifier).digest('hex'));
      expect(await dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: guest.subscriptionId })).toMatchObject({ accountRef: `guest:${guest.id}`, lookupKey: 'demo_basic_monthly', status: 'active' });
    });

    it('admits the guest to the premium routes its plan opens, by the x-guest-token header; 401 without one or with a bad one', async () => {
      const { token } = await guestBuys('basic', 'reader@example.com');
      await asGuest('/premium', token).expect(200, { premium: true, plan: 'basic', limits: { api_calls: 100 } });
      await asGuest('/premium/dashboard', token).expect(200);
      // Every plan and feature rule applies as for an account: basic is not pro and has no export.
      const reports = await asGuest('/premium/reports', token).expect(403);
      expect(reports.body).toMatchObject({ reason: 'plan_required', required: { plans: ['pro'] } });
      const exportDenied = await asGuest('/premium/export', token).expect(403);
      expect(exportDenied.body).toMatchObject({ reason: 'feature_required', required: { features: ['export'] } });

      const missing = await request(server()).get('/premium/reports').expect(401);
      expect(missing.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Sign in, or give the access token you received after paying.', reason: 'guest_token_missing' });
      const unknown = await asGuest('/premium/reports', madeUpToken()).expect(401);
      expect(unknown.body).toMatchObject({ statusCode: 401, reason: 'guest_token_unknown' });
      await asGuest('/premium/reports', 'not-a-token').expect(401);
      // The usage-limited API counts the guest's calls against its plan.
      const search = await asGuest('/api/search?q=churn', token).expect(200);
      expect(search.headers).toMatchObject({ 'x-ratelimit-limit-api_calls': '100', 'x-ratelimit-remaining-api_calls': '99' });
    });

    it("opens the guest's billing portal and lists its invoices by token, page by page", async () => {
      const { token } = await guestBuys('pro', 'invoiced@example.com');
      const portal = await asGuest('/guest/portal', token).expect(303);
      expect(portal.headers.location).toMatch(new RegExp(`^${fake().url}/billing_portal/bps_\\w+$`));
      await request(server()).get('/guest/portal').expect(401);
      await asGuest('/guest/portal', madeUpToken()).expect(401);

      const first = await asGuest('/guest/invoices', token).expect(200);
      expect(first.body).toEqual({
        hasMore: false,
        invoices: [expect.objectContaining({ status: 'paid', amountPaid: 1900, currency: 'usd', number: expect.stringMatching(/-0001$/), hostedInvoiceUrl: expect.stringMatching(/\/invoices\/in_\w+$/), invoicePdf: expect.stringMatching(/\/invoices\/in_\w+\/pdf$/) })],
      });
      // A month later Stripe renews: two invoices, read one at a time.
      const from = fake().events.all().length;
      fake().advanceClock(31 * 86_400);
      await deliverSince(from);
      const newest = await asGuest('/guest/invoices?limit=1', token).expect(200);
      expect(newest.body).toMatchObject({ hasMore: true, invoices: [{ number: expect.stringMatching(/-0002$/), status: 'paid' }] });
      const older = await asGuest(`/guest/invoices?limit=1&starting_after=${newest.body.invoices[0].id}`, token).expect(200);
      expect(older.body).toEqual({ hasMore: false, invoices: [first.body.invoices[0]] });
      await request(server()).get('/guest/invoices').expect(401);
      await asGuest('/guest/invoices?starting_after=nope', token).expect(400);
    });

    it('links the guest to the account it signs up with: the subscription, invoices and access move, the token answers 401 guest_linked', async () => {
      const { guestId, token } = await guestBuys('pro', 'joiner@example.com');
      const account = 'guest_who_signed_up';
      await request(server()).post('/guest/link').set('x-guest-token', token).expect(401);
      const noToken = await request(server()).post('/guest/link').set('x-user', account).expect(401);
      expect(noToken.body).toMatchObject({ reason: 'guest_token_missing' });

      const linked = await request(server()).post('/guest/link').set('x-user', account).set('x-guest-token', token).expect(201);
      expect(linked.body).toEqual({ guest: guestId, accountRef: account, subscription: expect.stringMatching(/^sub_/), alreadyLinked: false });
      // Presenting the token again for the same account changes nothing; for another, it is refused.
      await request(server()).post('/guest/link').set('x-user', account).set('x-guest-token', token).expect(201, { ...linked.body, alreadyLinked: true });
      await request(server()).post('/guest/link').set('x-user', 'someone_else').set('x-guest-token', token).expect(409);

      const refused = await asGuest('/premium/reports', token).expect(401);
      expect(refused.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'This subscription now belongs to an account: sign in to use it.', reason: 'guest_linked' });
      await asGuest('/guest/invoices', token).expect(401);
      await request(server()).get('/premium/reports').set('x-user', account).expect(200);
      const row = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ id: linked.body.subscription });
      expect(row).toMatchObject({ accountRef: account, status: 'active' });
      expect(await app.get(DataSource).getRepository(Guest).findOneByOrFail({ id: guestId })).toMatchObject({ linkedAccountRef: account, linkedAt: expect.any(Date) });
      expect(logger.of('Billing')).toEqual(expect.arrayContaining([`guest linked           guest ${guestId} → account ${account} (${row.id}, by token)`]));

      // The guest's Stripe customer is the account's now: its invoices, and the preview of a plan change.
      const invoices = await request(server()).get('/billing/invoices').set('x-user', account).expect(200);
      expect(invoices.body).toEqual({ hasMore: false, invoices: [expect.objectContaining({ status: 'paid', amountPaid: 1900, subscriptionId: row.id })] });
      const preview = await request(server()).get('/billing/preview?plan=basic').set('x-user', account).expect(200);
      expect(preview.body).toMatchObject({ subscriptionId: row.id, plan: 'basic', currency: 'usd' });
      expect(preview.body.prorationAmount).toBeLessThan(0);
      expect((await request(server()).get('/billing/preview?plan=pro').set('x-user', account).expect(200)).body.prorationAmount).toBe(0);
      expect(await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ id: row.id })).toMatchObject({ lookupKey: 'demo_pro_monthly' });
    });

    it('answers the account routes for invoices and previews with 400 on bad input and 401 without an account', async () => {
      await request(server()).get('/billing/invoices').expect(401);
      await request(server()).get('/billing/invoices?limit=1000').set('x-user', 'nobody_yet').expect(400);
      await request(server()).get('/billing/invoices').set('x-user', 'nobody_yet').expect(200, { invoices: [], hasMore: false });
      await request(server()).get('/billing/preview').set('x-user', result.guestAccountRef).expect(400);
      await request(server()).get('/billing/preview?plan=gold').set('x-user', result.guestAccountRef).expect(400);
      await request(server()).get('/billing/preview?plan=basic').set('x-user', 'nobody_yet').expect(404);
    });
  });

  it('logs the story and no error', () => {
    const sandbox = logger.of('Sandbox');
    expect(sandbox).toEqual(expect.arrayContaining([`   GET /billing/success → 200 {"checkout":"complete","entitled":true,"plan":"pro","reason":"active"}`]));
    expect(sandbox.filter((line) => line.startsWith('── '))).toHaveLength(18);
    // The pro subscriber's meter after a search and an export (10 calls), and the visitor's 429.
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   usage api_calls: 11 of 1000 \(pro, 1 seat\), 989 left until \d{4}-\d{2}-\d{2}$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   usage summaries: 1 of unlimited \(pro, 1 seat\), unlimited left until \d{4}-\d{2}-\d{2}$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   Stripe's demo_summaries meter holds 1 event for cus_\w+$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([`   POST /api/exports as ${result.visitorRef} → 201 (api_calls left: 0 of 10) {"export":"csv","rows":5,"cost":10}`]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^   GET /api/search as ${result.visitorRef} → 429 \\(api_calls left: 0 of 10\\) \\{"statusCode":429,"error":"Too Many Requests"`))]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   usage api_calls: 10 of 10 \(free\), 0 left until \d{4}-\d{2}-01, used up$/)]));
    // The visitor's two packs (200 credits): a search and an export paid with them, then half refunded.
    expect(sandbox).toEqual(expect.arrayContaining([`   GET /api/search as ${result.visitorRef} → 200 (api_calls left: 199, with credits) {"query":"churn","results":["churn by cohort"]}`]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   usage api_calls: 10 of 10 \(free\) \+ 189 credits, 189 left until \d{4}-\d{2}-01$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   usage api_calls: 10 of 10 \(free\) \+ 89 credits, 89 left until \d{4}-\d{2}-01$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([`   GET /billing/success → 200 {"checkout":"complete","purchase":{"payment":"paid","lifetimePlans":["pro"],"credits":{}},"entitled":true,"plan":"pro","reason":"lifetime"}`]));
    // The guest's success page: the token is said to be issued, never shown.
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   GET \/guest\/success → 200 \{"checkout":"complete","guest":"[\w-]{22}","token":"<token>","tokenExpiresAt":null,/)]));
    expect(sandbox).toEqual(expect.arrayContaining([`   token issued to guest ${result.guestId}: shown to the visitor once, stored only as a hash, never logged`]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   GET \/premium\/reports with a guest token → 401 .*"reason":"guest_linked"\}$/)]));
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   moving to basic now: prorations -\d+\.\d\d USD \(pro's unused time credited, basic's time left charged\), next invoice -?\d+\.\d\d USD; nothing changed$/)]));
    // Support at the admin: refused without the token, then ids and counts, never the payer's email.
    expect(sandbox).toEqual(expect.arrayContaining([expect.stringMatching(/^   GET \/admin\/api\/unclaimed → 401 /)]));
    expect(sandbox).toEqual(
      expect.arrayContaining([
        `   GET /admin/api/unclaimed with the admin token → 200 1 orphaned payment (#${result.orphanId}: ${result.orphanSubscriptionId}, missing_reference), 0 unlinked guest purchases`,
        `   POST /admin/api/orphans/${result.orphanId}/claim with the admin token → 200 orphaned payment #${result.orphanId} (${result.orphanSubscriptionId}) → account ${result.claimedAccountRef}`,
        expect.stringMatching(new RegExp(`^   GET /admin/api/lookup with the admin token → 200 account ${result.claimedAccountRef}: entitled \\(active\\), 1 subscription, \\d+ events in its timeline$`)),
      ]),
    );
    expect(logger.lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
  });

  it('never logs an email, though customers type theirs on the pay page and the admin lists them, nor a guest token, nor the admin token', () => {
    expect(logger.lines.filter((line) => /@[\w-]+\.\w+/.test(line.message))).toEqual([]);
    expect(logger.lines.filter((line) => line.message.includes(adminToken))).toEqual([]);
    // Neither the story's token nor the tests', whole or in part (its selector, its verifier).
    expect(issuedTokens.length).toBeGreaterThan(0);
    const parts = issuedTokens.flatMap((token) => token.slice(4).split('.'));
    expect(logger.lines.filter((line) => line.message.includes('lsg_') || parts.some((part) => line.message.includes(part)))).toEqual([]);
  });
});

describe('the demo admin token', () => {
  it('is DEMO_ADMIN_TOKEN when set; otherwise a random one, put into the environment; a short one stops the start', () => {
    expect(prepareAdminToken({ DEMO_ADMIN_TOKEN: ' a-token-of-my-own-choosing ' })).toEqual({ token: 'a-token-of-my-own-choosing', generated: false });
    const env: NodeJS.ProcessEnv = { DEMO_ADMIN_TOKEN: '' };
    const made = prepareAdminToken(env);
    expect(made).toEqual({ token: expect.stringMatching(/^[\w-]{32}$/), generated: true });
    expect(env.DEMO_ADMIN_TOKEN).toBe(made.token);
    expect(prepareAdminToken({}).token).not.toBe(made.token);
    expect(() => prepareAdminToken({ DEMO_ADMIN_TOKEN: 'too-short' })).toThrow('DEMO_ADMIN_TOKEN is shorter than 16 characters');
  });
});

describe("the demo's PGlite driver", () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', driver: serializedPGliteDriver() });
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE t (id text PRIMARY KEY)');
  });
  afterAll(() => dataSource?.destroy());

  it('keeps concurrent transactions apart: a rollback in one leaves the other committed', async () => {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const committed = dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO t VALUES ('kept')`);
      await pause(50);
    });
    const failed = dataSource.transaction(async (manager) => {
      await pause(10);
      await manager.query(`INSERT INTO t VALUES ('rolled back')`);
      throw new Error('boom');
    });
    await expect(committed).resolves.toBeUndefined();
    await expect(failed).rejects.toThrow('boom');
    expect(await dataSource.query('SELECT id FROM t')).toEqual([{ id: 'kept' }]);
  });
});
