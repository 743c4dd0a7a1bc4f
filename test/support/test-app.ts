import { INestApplication, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { LitestripeModule, LitestripeModuleOptions, StripeEventLog, WebhookInboxService } from '@litestripe/nestjs';
import { signedDelivery } from '@litestripe/nestjs/testing';
import { EventRecorder } from './event-recorder';
import { TestClock } from './test-clock';
import { testDatabaseUrl, trackEntitlementCache, truncateTables, typeOrmOptions } from './test-database';

export type Adapter = 'express' | 'fastify';
export type Registration = 'forRoot' | 'forRootAsync';

export const WEBHOOK_SECRET = 'whsec_testsecretaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/**
 * `LITESTRIPE_TEST_WEBHOOK_PROCESSING=deferred` runs the webhook suites against the inbox: apps that
 * do not choose a mode themselves get `webhookProcessing: 'deferred'`, and `deliver` waits until the
 * event is applied and answers with the outcome the event log then holds, as inline processing
 * would have answered. A test that sets `webhookProcessing` itself gets the raw answer.
 */
const SUITE_PROCESSING = process.env.LITESTRIPE_TEST_WEBHOOK_PROCESSING === 'deferred' ? 'deferred' : undefined;

export interface TestAppOptions {
  adapter?: Adapter;
  registration?: Registration;
  options?: Partial<LitestripeModuleOptions>;
  webhookPath?: string;
  rawBody?: boolean;
  /** Keep existing rows (a second app instance sharing the database). */
  keepData?: boolean;
  /** Rewrites the worker database's URL, e.g. to go through a proxy. */
  databaseUrl?: (url: string) => string;
  /** The module's clock. @default a new TestClock, pinned at the current second */
  clock?: TestClock;
}

export interface TestApp {
  app: INestApplication;
  dataSource: DataSource;
  recorder: EventRecorder;
  uuid: string;
  webhookUrl: string;
  /** The module's clock: a pinned TestClock unless the test gave its own `clock`. */
  clock: TestClock;
  /** With `LITESTRIPE_TEST_WEBHOOK_PROCESSING=deferred`: waits until a `queued` answer's event is applied and puts its outcome in the body. */
  settle(response: request.Response, eventId: string | undefined): Promise<request.Response>;
  /** Posts `event` signed with `secret` (default: the app's secret) at `timestamp` (default: the clock's time) and returns the response. */
  deliver(event: object, options?: { secret?: string; timestamp?: number }): Promise<request.Response>;
  close(): Promise<void>;
}

/** Boots a real Nest app with the module, over real PostgreSQL, listening on a real port. */
export async function createTestApp(config: TestAppOptions = {}): Promise<TestApp> {
  const url = (config.databaseUrl ?? ((u: string) => u))(await testDatabaseUrl());
  const uuid = config.options?.webhookUuid ?? randomUUID();
  const clock = config.clock ?? new TestClock();
  const options: LitestripeModuleOptions = {
    secretKey: 'sk_test_litestripe',
    webhookUuid: uuid,
    webhookSecret: WEBHOOK_SECRET,
    // Tests of the ordering rules must not reach for Stripe; the refetch tests turn it on against a fake Stripe.
    refetch: 'never',
    clock,
    ...(SUITE_PROCESSING ? { webhookProcessing: SUITE_PROCESSING } : {}),
    ...config.options,
  };
  const settleDeliveries = SUITE_PROCESSING !== undefined && config.options?.webhookProcessing === undefined;
  const webhookPath = config.webhookPath;
  const litestripe =
    config.registration === 'forRootAsync'
      ? LitestripeModule.forRootAsync({ useFactory: async () => options, webhookPath })
      : LitestripeModule.forRoot({ ...options, webhookPath });

  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...typeOrmOptions(url), entities: [], autoLoadEntities: true }),
      EventEmitterModule.forRoot({ wildcard: true }),
      litestripe,
    ],
    providers: [EventRecorder],
  })
  class HostModule {}

  const moduleRef = await Test.createTestingModule({ imports: [HostModule] }).compile();
  const rawBody = config.rawBody ?? true;
  const app =
    config.adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { rawBody, logger: false })
      : moduleRef.createNestApplication<NestExpressApplication>({ rawBody, logger: false });
  // Express parses at most 100 kB by default; let the module's own limit (1 MiB) decide.
  if (config.adapter !== 'fastify') (app as NestExpressApplication).useBodyParser('json', { limit: '2mb' });
  await app.init();
  if (config.adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  await app.listen(0, '127.0.0.1');

  const dataSource = app.get(DataSource);
  trackEntitlementCache(app);
  if (!config.keepData) await truncateTables(dataSource);
  // The applier looks at the inbox on start-up; a test begins once it has looked, so that an
  // instance still starting does not take an event another instance was sent.
  if (options.webhookProcessing === 'deferred') await app.get(WebhookInboxService).drain();
  const webhookUrl = `/${webhookPath ?? 'ls/hook'}/${uuid}`;
  const settle = async (response: request.Response, eventId: string | undefined) => {
    if (settleDeliveries && eventId && response.body?.outcome === 'queued') response.body.outcome = await appliedOutcome(app, eventId);
    return response;
  };
  return {
    app,
    dataSource,
    recorder: app.get(EventRecorder),
    uuid,
    webhookUrl,
    clock,
    settle,
    async deliver(event, deliveryOptions = {}) {
      const { body, headers } = await signedDelivery(event, deliveryOptions.secret ?? WEBHOOK_SECRET, deliveryOptions.timestamp ?? clock.seconds());
      return settle(await request(app.getHttpServer()).post(webhookUrl).set(headers).send(body), (event as { id?: string }).id);
    },
    close: () => app.close(),
  };
}

/** Waits until a queued event has left the inbox (applied here or by another instance) and returns its outcome. */
async function appliedOutcome(app: INestApplication, eventId: string): Promise<string> {
  const inbox = app.get(WebhookInboxService);
  const log = app.get(DataSource).getRepository(StripeEventLog);
  for (let i = 0; i < 500; i++) {
    await inbox.drain();
    const { outcome } = await log.findOneByOrFail({ id: eventId });
    if (outcome !== 'pending') return outcome;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Stripe event ${eventId} was not applied within 5 s`);
}
