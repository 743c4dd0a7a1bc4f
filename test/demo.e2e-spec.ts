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
];

describe('the demo app in sandbox mode over embedded PostgreSQL', () => {
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

  it('leaves the subscription canceled and still linked to its account', async () => {
    const row = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ id: result.subscriptionId });
    expect(row).toMatchObject({
      accountRef: result.accountRef,
      status: 'canceled',
      cancelAtPeriodEnd: true,
      priceId: 'price_demo_pro_monthly',
      productId: 'prod_demo_pro',
      latestPaymentStatus: 'succeeded',
    });
    expect(row.endedAt).toEqual(row.currentPeriodEnd);
    expect(row.currentPeriodEnd!.getTime() - row.currentPeriodStart!.getTime()).toBe(30 * 86_400_000);
  });

  it('records the checkout without a reference as one orphan, with the payer email', async () => {
    const dataSource = app.get(DataSource);
    const orphans = await dataSource.getRepository(OrphanedPayment).find();
    expect(orphans).toHaveLength(1);
    expect(orphans[0]).toMatchObject({ email: 'stranger@example.com', reason: 'missing_reference', subscriptionId: result.orphanSubscriptionId, amount: 1900, currency: 'usd' });
    expect(await dataSource.getRepository(StripeSubscription).findOneByOrFail({ id: result.orphanSubscriptionId })).toMatchObject({ accountRef: null });
  });

  it('lets the account into the premium route only while the subscription was active', async () => {
    expect(result.premiumWhileActive).toBe(200);
    expect(result.premiumAfterEnd).toBe(403);
    await request(app.getHttpServer()).get(`/premium/${result.accountRef}`).expect(403);
    expect(logger.of('Sandbox')).toEqual(expect.arrayContaining([`   GET /premium/${result.accountRef} → 200`, `   GET /premium/${result.accountRef} → 403`]));
  });

  it('logs one timeline line per domain event, in order', () => {
    const billing = logger.of('Billing');
    expect(billing.map((line) => line.slice(0, 22).trim())).toEqual([
      'checkout completed',
      'subscription created',
      'access granted',
      'payment succeeded',
      'subscription updated',
      'subscription updated',
      'cancellation scheduled',
      'subscription updated',
      'access revoked',
      'subscription ended',
      'checkout completed',
      'orphaned payment',
    ]);
    expect(billing[0]).toContain(`account ${result.accountRef}`);
    expect(billing[2]).toBe(`access granted         account ${result.accountRef} may use premium`);
    expect(billing[3]).toContain('19.00 USD');
    expect(billing[8]).toBe(`access revoked         account ${result.accountRef} (active → canceled)`);
    expect(billing[10]).toContain('no account');
    expect(billing[11]).toContain('missing_reference');
  });

  it('prints the row after each step and logs no error', () => {
    const rows = logger.of('Sandbox').filter((line) => line.startsWith('   row '));
    expect(rows).toHaveLength(7);
    expect(rows[1]).toContain('status=active');
    expect(rows[5]).toMatch(/status=canceled .*cancel_at_period_end=true/);
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
