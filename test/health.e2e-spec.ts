import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { LitestripeModule } from '@litestripe/nestjs';
import { LitestripeHealthIndicator, LitestripeHealthModule } from '@litestripe/nestjs/health';
import { stripeId } from '@litestripe/nestjs/testing';
import { bootAndClose, closeOpenedDataSources } from './support/module-boot';
import { TcpProxy } from './support/tcp-proxy';
import { WEBHOOK_SECRET } from './support/test-app';
import { testDatabaseUrl, truncateTables, typeOrmOptions } from './support/test-database';

const MAX_DEPTH = 3;
const PAYER_EMAIL = 'payer@example.com';

/** The host's own health endpoint, as the README shows it. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly litestripe: LitestripeHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.litestripe.check()]);
  }

  /** The same checks under another key, tolerating failed entries and an hour of lag. */
  @Get('lenient')
  @HealthCheck()
  lenient() {
    return this.health.check([() => this.litestripe.check('billing', { outbox: { maxFailed: Infinity }, inbox: { maxLagMs: 60 * 60_000, maxFailed: Infinity } })]);
  }
}

@Module({ imports: [TerminusModule, LitestripeHealthModule], controllers: [HealthController] })
class HostHealthModule {}

describe('the health indicator on a host health endpoint', () => {
  // The app reaches PostgreSQL through a proxy the test takes down.
  const proxy = new TcpProxy('127.0.0.1', 5432);
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    await proxy.start();
    const url = new URL(await testDatabaseUrl());
    url.port = String(proxy.port);
    url.searchParams.set('connect_timeout', '2');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ ...typeOrmOptions(url.toString()), entities: [], autoLoadEntities: true }),
        EventEmitterModule.forRoot(),
        LitestripeModule.forRoot({
          secretKey: 'sk_test_litestripe',
          webhookUuid: randomUUID(),
          webhookSecret: WEBHOOK_SECRET,
          refetch: 'never',
          webhookProcessing: 'deferred',
          inbox: { maxDepth: MAX_DEPTH, sweepIntervalMs: 60_000 },
          outbox: { pollIntervalMs: 0 },
        }),
        HostHealthModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    await app.listen(0, '127.0.0.1');
    dataSource = app.get(DataSource);
  });
  afterAll(async () => {
    await app.close();
    await proxy.stop();
  });
  beforeEach(() => truncateTables(dataSource));

  const health = (path = '/health') => request(app.getHttpServer()).get(path);

  /** Events another instance leased (for an hour), received `receivedAgo` ago (an SQL interval). */
  const insertPendingEvents = (count: number, receivedAgo: string) =>
    dataSource.query(
      `INSERT INTO litestripe_event ("id", "type", "livemode", "stripe_created", "outcome", "attempts", "ordering_key", "work", "available_at", "received_at")
       SELECT id, 'invoice.paid', false, now(), 'pending', 0, 'sub_elsewhere', '{}', now() + interval '1 hour', now() - $2::interval FROM unnest($1::text[]) AS id`,
      [Array.from({ length: count }, () => stripeId('evt')), receivedAgo],
    );

  it('answers 200 with each part up and its numbers', async () => {
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', error: {} });
    expect(res.body.info.litestripe).toEqual({
      status: 'up',
      database: { status: 'up', responseTimeMs: expect.any(Number) },
      outbox: { status: 'up', depth: 0, lagMs: 0, failed: 0, maxLagMs: 300_000, maxFailed: 0 },
      inbox: { status: 'up', webhookProcessing: 'deferred', depth: 0, maxDepth: MAX_DEPTH, lagMs: 0, failed: 0, maxLagMs: 300_000, maxFailed: 0 },
    });
  });

  it('answers 503 for a failed outbox entry, saying so and by how much, without its payload or error', async () => {
    await dataSource.query(
      `INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id", "attempts", "failed_at", "last_error")
       VALUES ('evt_failed:litestripe.payment.orphaned', 'litestripe.payment.orphaned', $1, 'evt_failed', 10, now(), $2)`,
      [JSON.stringify({ email: PAYER_EMAIL }), `Error: no account for ${PAYER_EMAIL}`],
    );
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.litestripe).toMatchObject({ status: 'down', message: 'outbox: 1 failed, 1 over the limit of 0' });
    expect(res.body.error.litestripe.outbox).toEqual({ status: 'down', depth: 0, lagMs: 0, failed: 1, maxLagMs: 300_000, maxFailed: 0, message: '1 failed, 1 over the limit of 0' });
    expect(res.body.error.litestripe.inbox.status).toBe('up');
    expect(res.text).not.toContain(PAYER_EMAIL);
    expect(res.text).not.toContain('evt_failed');

    const lenient = await health('/health/lenient');
    expect(lenient.status).toBe(200);
    expect(lenient.body.info.billing.outbox).toMatchObject({ status: 'up', failed: 1, maxFailed: null });
  });

  it('answers 503 when the oldest event in the inbox has waited past the lag limit', async () => {
    await insertPendingEvents(1, '10 minutes');
    const res = await health();
    expect(res.status).toBe(503);
    const { inbox, message } = res.body.error.litestripe;
    expect(inbox).toMatchObject({ status: 'down', depth: 1, failed: 0, maxLagMs: 300_000 });
    expect(inbox.lagMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(inbox.lagMs).toBeLessThan(11 * 60_000);
    expect(inbox.message).toBe(`lag ${inbox.lagMs} ms, ${inbox.lagMs - 300_000} ms over the limit of 300000 ms`);
    expect(message).toBe(`inbox: ${inbox.message}`);
    expect(res.body.error.litestripe.outbox.status).toBe('up');

    expect((await health('/health/lenient')).status).toBe(200);
  });

  it('answers 503 while the inbox is full and its webhook refuses deliveries, whatever the limits', async () => {
    await insertPendingEvents(MAX_DEPTH, '1 second');
    const res = await health('/health/lenient');
    expect(res.status).toBe(503);
    expect(res.body.error.billing.inbox).toMatchObject({ status: 'down', depth: MAX_DEPTH, maxDepth: MAX_DEPTH });
    expect(res.body.error.billing.message).toBe(`inbox: full (inbox.maxDepth ${MAX_DEPTH}): the webhook answers 503 until it drains`);
  });

  it('answers 503 while the database is unreachable, and 200 again once it is back', async () => {
    await proxy.stop();
    try {
      const res = await health();
      expect(res.status).toBe(503);
      const { database, message } = res.body.error.litestripe;
      expect(database.status).toBe('down');
      expect(database.message).toMatch(/^unreachable: /);
      expect(message).toBe(`database: ${database.message}`);
    } finally {
      await proxy.start();
    }
    expect((await health()).status).toBe(200);
  });

  it('throws on thresholds that are not valid, naming the field', async () => {
    const indicator = app.get(LitestripeHealthIndicator);
    await expect(indicator.check('litestripe', { inbox: { maxLagMs: -1 } })).rejects.toThrow('LitestripeHealthIndicator.check(): thresholds.inbox.maxLagMs must be');
  });
});

describe('LitestripeHealthModule without LitestripeModule', () => {
  afterEach(() => closeOpenedDataSources());

  it('stops start-up, saying what to register', async () => {
    await expect(bootAndClose({ module: HostHealthModule })).rejects.toThrow(
      'LitestripeHealthModule found no OutboxService: register LitestripeModule.forRoot() or forRootAsync() in the same application.',
    );
  });
});
