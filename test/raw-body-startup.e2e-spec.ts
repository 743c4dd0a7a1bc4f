import { CallHandler, CanActivate, ExecutionContext, INestApplication, Injectable, LoggerService, Module, NestInterceptor, VersioningType } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LitestripeConfigError, LitestripeModule } from '@litestripe/nestjs';
import { signStripePayload, truncateLitestripeTables } from '@litestripe/nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EventRecorder } from './support/event-recorder';
import { expectNoneOf, JSON_CONTENT_TYPE, storedCounts } from './support/raw-webhook';
import { SubscriptionScenario, T0 } from './support/scenario';
import { Adapter, WEBHOOK_SECRET } from './support/test-app';
import { testDatabaseUrl, typeOrmOptions } from './support/test-database';

/**
 * An HTTP app created without `rawBody: true` is stopped at start-up (`init()`, or `listen()`,
 * which runs it) by a probe request through the app's own HTTP stack, on Express and on Fastify,
 * with a message that says what to add. An app with raw bodies starts, and its webhook takes a
 * real signed delivery; the probe itself leaves no row, no domain event and no log line. Nothing
 * is probed without an HTTP server (an application context).
 */

/** Keeps every line with its level and context. */
class LevelLogger implements LoggerService {
  readonly lines: { level: string; text: string; context?: string }[] = [];
  log = (...args: unknown[]) => this.keep('log', args);
  error = (...args: unknown[]) => this.keep('error', args);
  warn = (...args: unknown[]) => this.keep('warn', args);
  debug = (...args: unknown[]) => this.keep('debug', args);
  verbose = (...args: unknown[]) => this.keep('verbose', args);
  fatal = (...args: unknown[]) => this.keep('fatal', args);
  /** Lines at warn level or above, and any line of the module's own logger (context `Litestripe`). */
  suspicious(): string[] {
    return this.lines.filter((l) => ['warn', 'error', 'fatal'].includes(l.level) || l.context === 'Litestripe').map((l) => `${l.level} [${l.context}] ${l.text}`);
  }
  private keep(level: string, args: unknown[]): void {
    // Nest's Logger passes the context last.
    const context = args.length > 1 && typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    this.lines.push({ level, context, text: args.map((a) => (a instanceof Error ? a.stack : typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
  }
}

/** Replaces `request.rawBody` with a re-serialisation of the parsed body, as a careless host middleware would. */
@Injectable()
class RewritesRawBody implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const req = context.switchToHttp().getRequest();
    if (req.rawBody) req.rawBody = Buffer.from(JSON.stringify(req.body));
    return next.handle();
  }
}

/** Stands for a guard in front of every route that the probe cannot pass (e.g. an allowlist of Stripe's addresses). */
@Injectable()
class RefusesEverything implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** Lets every request through but the start-up probe (recognised by its user agent), as a guard the probe cannot pass would. */
@Injectable()
class RefusesTheProbe implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['user-agent'] !== 'litestripe-raw-body-probe';
  }
}

interface Boot {
  adapter: Adapter;
  rawBody: boolean;
  /** `init` only (as supertest tests do), or `listen(0)`. */
  start: 'init' | 'listen';
  prefix?: string;
  versioning?: boolean;
  providers?: object[];
}

const SECRET_KEY = 'sk_test_litestripe';

let db: DataSource;
let url: string;
const opened: INestApplication[] = [];

beforeAll(async () => {
  url = await testDatabaseUrl();
  db = await new DataSource(typeOrmOptions(url)).initialize();
});
beforeEach(() => truncateLitestripeTables(db));
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((app) => app.close()));
});
afterAll(() => db?.destroy());

function hostModule(uuid: string, providers: object[] = []) {
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...typeOrmOptions(url), entities: [], autoLoadEntities: true }),
      EventEmitterModule.forRoot({ wildcard: true }),
      LitestripeModule.forRoot({ secretKey: SECRET_KEY, webhookUuid: uuid, webhookSecret: WEBHOOK_SECRET, refetch: 'never' }),
    ],
    providers: [EventRecorder, ...(providers as never[])],
  })
  class HostModule {}
  return HostModule;
}

/** Creates the app as a host would (through `Test` for a module of its own) and starts it; the start-up error, if any, is returned. */
async function boot(config: Boot) {
  const uuid = randomUUID();
  const logger = new LevelLogger();
  const moduleRef = await Test.createTestingModule({ imports: [hostModule(uuid, config.providers)] })
    .setLogger(logger)
    .compile();
  const app =
    config.adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { rawBody: config.rawBody, logger })
      : moduleRef.createNestApplication<NestExpressApplication>({ rawBody: config.rawBody, logger });
  opened.push(app);
  if (config.prefix) app.setGlobalPrefix(config.prefix);
  if (config.versioning) app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  let error: unknown;
  try {
    if (config.start === 'init') await app.init();
    else await app.listen(0, '127.0.0.1');
  } catch (thrown) {
    error = thrown;
  }
  const path = `/${[config.prefix, config.versioning ? 'v1' : undefined, 'ls/hook', uuid].filter(Boolean).join('/')}`;
  return { app, uuid, logger, error, path };
}

/** A real delivery: a subscription event, signed now with the app's secret. */
async function deliver(app: INestApplication, path: string) {
  const body = JSON.stringify(new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_1' } }, T0), null, 2);
  const headers = { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': await signStripePayload(body, WEBHOOK_SECRET) };
  return request(app.getHttpServer()).post(path).set(headers).send(body);
}

/** The message names what to add for the adapter, and says that start-up stopped. */
function expectRawBodyError(error: unknown, adapter: Adapter, route = 'POST /ls/hook/:uuid') {
  expect(error).toBeInstanceOf(LitestripeConfigError);
  const { name, message } = error as Error;
  expect(name).toBe('RawBodyMissingError');
  expect(message).toContain("stopped the app's start-up");
  expect(message).toContain(`(${route})`);
  expect(message).toContain('rawBody: true');
  if (adapter === 'fastify') expect(message).toContain('NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { rawBody: true })');
  else expect(message).toContain('NestFactory.create(AppModule, { rawBody: true })');
}

describe.each(['express', 'fastify'] as Adapter[])('raw body check at start-up (%s)', (adapter) => {
  describe.each(['init', 'listen'] as const)('started with %s()', (start) => {
    it('starts with rawBody: true; the probe leaves no row, no event and no log line; a signed delivery is then processed', async () => {
      const { app, error, logger, path } = await boot({ adapter, rawBody: true, start });
      expect(error).toBeUndefined();
      expect(await storedCounts(db)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
      expect(app.get(EventRecorder).names()).toEqual([]);
      expect(logger.suspicious()).toEqual([]);
      expect(logger.lines.some((l) => l.context === 'NestApplication')).toBe(true); // the logger does see the app's lines
      if (start === 'listen') expect((app.getHttpServer() as Server).listening).toBe(true);

      const res = await deliver(app, path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, outcome: 'processed' });
      expect(await storedCounts(db)).toEqual({ events: 1, subscriptions: 1, orphans: 0 });
      expect(logger.suspicious()).toEqual([]);
    });

    it('stops without rawBody, with an error that says what to add, and records nothing', async () => {
      const { app, error, logger } = await boot({ adapter, rawBody: false, start });
      expectRawBodyError(error, adapter);
      expect(await storedCounts(db)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
      expect(app.get(EventRecorder).names()).toEqual([]);
      // The error is thrown, not logged; the probe logs nothing either.
      expect(logger.suspicious()).toEqual([]);
      expect((app.getHttpServer() as Server).listening).toBe(false);
    });
  });

  it('probes the route where Nest put it: under a global prefix and a URI version', async () => {
    const ok = await boot({ adapter, rawBody: true, start: 'init', prefix: 'api', versioning: true });
    expect(ok.error).toBeUndefined();
    expect(ok.logger.suspicious()).toEqual([]);
    expect((await deliver(ok.app, ok.path)).status).toBe(200);

    const stopped = await boot({ adapter, rawBody: false, start: 'init', prefix: 'api', versioning: true });
    expectRawBodyError(stopped.error, adapter, 'POST /api/v1/ls/hook/:uuid');
  });

  it('stops when something in the app replaces request.rawBody with other bytes', async () => {
    const { error } = await boot({ adapter, rawBody: true, start: 'init', providers: [{ provide: APP_INTERCEPTOR, useClass: RewritesRawBody }] });
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toContain('not the bytes that were sent');
  });

  it('starts with one warning when the probe cannot reach the webhook (nothing proven either way)', async () => {
    const { error, logger } = await boot({ adapter, rawBody: false, start: 'init', providers: [{ provide: APP_GUARD, useClass: RefusesEverything }] });
    expect(error).toBeUndefined();
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].text).toContain('did not reach it (it was answered 403');
    expect(await storedCounts(db)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
  });

  describe('when the probe could not check (the second line of defence)', () => {
    it('answers a delivery without raw body 500 with what to add, names no secret, and stores nothing; a wrong UUID is still a 404 first', async () => {
      const { app, error, logger, path, uuid } = await boot({ adapter, rawBody: false, start: 'init', providers: [{ provide: APP_GUARD, useClass: RefusesTheProbe }] });
      expect(error).toBeUndefined();
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);

      const res = await deliver(app, path);
      expect(res.status).toBe(500);
      expect(res.body.message).toContain('rawBody: true');
      expect(res.body.message).toContain(adapter === 'fastify' ? 'FastifyAdapter' : 'NestFactory.create');
      expectNoneOf(res, [WEBHOOK_SECRET, SECRET_KEY, uuid]);
      expect(await storedCounts(db)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
      expect(app.get(EventRecorder).names()).toEqual([]);

      expect((await deliver(app, '/ls/hook/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    });
  });

  it('takes the probe header after start-up for what it is: an ordinary request, refused without a signature', async () => {
    const { app, error, path } = await boot({ adapter, rawBody: true, start: 'init' });
    expect(error).toBeUndefined();
    const res = await request(app.getHttpServer())
      .post(path)
      .set({ 'content-type': JSON_CONTENT_TYPE, 'x-litestripe-raw-body-probe': 'a'.repeat(64) })
      .send('{"object":"litestripe_raw_body_probe"}');
    expect(res.status).toBe(400);
    expect(res.body.received).toBeUndefined();
  });
});

describe('without an HTTP server', () => {
  it('probes nothing in an application context (no webhook route), even without rawBody', async () => {
    const logger = new LevelLogger();
    const context = await NestFactory.createApplicationContext(hostModule(randomUUID()), { logger });
    try {
      expect(logger.suspicious()).toEqual([]);
      expect(await storedCounts(db)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
    } finally {
      await context.close();
    }
  });

  it('probes nothing when a testing module is initialised as a context', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [hostModule(randomUUID())] }).compile();
    try {
      await expect(moduleRef.init()).resolves.toBe(moduleRef);
    } finally {
      await moduleRef.close();
    }
  });
});
