import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OrphanedPayment, StripeSubscription } from '@litestripe/nestjs';
import { serializedPGliteDriver } from '../apps/demo/src/pglite.driver';
import { prepareSandboxEnv } from '../apps/demo/src/sandbox/sandbox-env';
import { runSandboxLifecycle, SandboxResult } from '../apps/demo/src/sandbox/sandbox-lifecycle';

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
];

describe('the demo app in sandbox mode over embedded PostgreSQL and the fake Stripe', () => {
  const savedEnv = Object.fromEntries(STRIPE_AND_DATABASE_VARIABLES.map((name) => [name, process.env[name]]));
  const logger = new CapturingLogger();
  let app: INestApplication;
  let result: SandboxResult;

  beforeAll(async () => {
    // Empty rather than deleted, so that a developer's .env cannot fill them in.
    for (const name of STRIPE_AND_DATABASE_VARIABLES) process.env[name] = '';
    const keys = prepareSandboxEnv();
    // Imported only now: the module reads the database settings when it is loaded.
    const { AppModule } = await import('../apps/demo/src/app.module');
    app = await NestFactory.create(AppModule, { rawBody: true, logger });
    await app.listen(0, '127.0.0.1');
    result = await runSandboxLifecycle(app, keys);
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
      checkout: 303,
      pay: 303,
      success: 200,
      premiumAfterCheckout: 200,
      reports: 200,
      export: 200,
      premiumPastDue: 403,
      portalPastDue: 303,
      premiumRecovered: 200,
      portalCancel: 303,
      status: 200,
      premiumCanceling: 200,
      premiumAfterEnd: 403,
      claim: 201,
      premiumClaimed: 200,
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
    const pricing = await request(server).get('/pricing').expect(200);
    expect(pricing.body.map((p: { plan: string }) => p.plan)).toEqual(['basic', 'pro']);
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
      // success page: synced from Stripe
      'subscription created',
      'access granted',
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
      // a payment link without an account, then support's claim
      'subscription created',
      'payment succeeded',
      'subscription updated',
      'checkout completed',
      'orphaned payment',
      'subscription updated',
      'access granted',
      'orphan claimed',
    ]);
    expect(billing[1]).toBe(`access granted         account ${result.accountRef} may use premium`);
    expect(billing[2]).toContain('19.00 USD');
    expect(billing[3]).toContain(`account ${result.accountRef}`);
    expect(billing[17]).toContain('no account');
    expect(billing[18]).toContain('missing_reference');
    expect(billing[21]).toBe(`orphan claimed         #${result.orphanId} → account ${result.claimedAccountRef} (${result.orphanSubscriptionId})`);
  });

  it('logs the story and no error', () => {
    const sandbox = logger.of('Sandbox');
    expect(sandbox).toEqual(expect.arrayContaining([`   GET /billing/success → 200 {"checkout":"complete","entitled":true,"plan":"pro","reason":"active"}`]));
    expect(sandbox.filter((line) => line.startsWith('── '))).toHaveLength(9);
    expect(logger.lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
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
