import { Controller, Get, INestApplication, Module, Query } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { BillingService, LitestripeModule, LitestripeModuleOptions, UsageLimit, UsageService } from '@litestripe/nestjs';
import { FakeStripe, signedDelivery } from '@litestripe/nestjs/testing';
import { HeaderAuthGuard } from './support/header-auth.guard';
import { CapturingLogger, compileHost } from './support/module-boot';
import { WEBHOOK_SECRET } from './support/test-app';
import { TestClock } from './support/test-clock';

/**
 * The acceptance test: usage limits hold across instances. Two instances of one app
 * (real Nest apps on real ports, sharing the worker's PostgreSQL database and the Redis on
 * 127.0.0.1:6379) take 1,000 concurrent requests of one account whose plan grants 500 API calls:
 * exactly 500 pass, whichever instance answers, and the count survives an app restart. Run once
 * per store. The Redis keys live under a prefix of this run's own and are deleted afterwards.
 */

const PLAN_LIMIT = 500;
const REQUESTS = 1_000;
const FLAKY_ERROR = 'the work failed';
const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

@Controller('api')
class ApiController {
  @UsageLimit('api_calls')
  @Get('search')
  search() {
    return { results: [] };
  }

  /** Works for `delay` ms (holding its unit meanwhile), then fails with a 500 when asked to. */
  @UsageLimit('api_calls')
  @Get('flaky')
  async flaky(@Query('fail') fail?: string, @Query('delay') delay?: string) {
    await new Promise((resolve) => setTimeout(resolve, Number(delay ?? 0)));
    if (fail === '1') throw new Error(FLAKY_ERROR);
    return { done: true };
  }
}

@Module({ controllers: [ApiController] })
class ApiModule {}

type Store = 'postgres' | 'redis';

interface Instance {
  app: INestApplication;
  usage: UsageService;
  dataSource: DataSource;
  /** What the app logged: a server error's cause, shown when a request answers what it should not. */
  logger: CapturingLogger;
  port: number;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A GET as `user`, over `agent` (default: a connection of its own). */
function get(instance: Instance, path: string, user: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = httpRequest({ host: '127.0.0.1', port: instance.port, path, agent, headers: { 'x-user': user } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text ? JSON.parse(text) : null }));
      response.on('error', reject);
    });
    call.on('error', (error) => reject(new Error(`GET ${path} on port ${instance.port}: ${error.message}`)));
    call.end();
  });
}

function countStatuses(answers: Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}


describe.each<{ store: Store; restart: 'a' | 'b' }>([
  { store: 'postgres', restart: 'a' },
  { store: 'redis', restart: 'b' },
])('usage limits across two instances, counted in $store', ({ store, restart }) => {
  const clock = new TestClock();
  const prefix = `litestripe:test:usage-concurrency:${randomUUID()}`;
  const uuid = randomUUID();
  let fake: FakeStripe;
  let admin: Redis;
  let options: LitestripeModuleOptions;
  const instances = {} as { a: Instance; b: Instance };

  async function bootInstance(): Promise<Instance> {
    // Each instance its own Redis connection, as separate processes would have.
    const redis = store === 'redis' ? new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 }) : undefined;
    const litestripe = LitestripeModule.forRoot({
      ...options,
      usage: { metrics: { api_calls: { store } }, redisKeyPrefix: prefix, ...(redis ? { redis } : {}) },
      isGlobal: true,
    });
    const moduleRef = await compileHost(litestripe, { imports: [ApiModule], providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }] });
    const logger = new CapturingLogger();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ rawBody: true, logger });
    await app.init();
    await app.listen(0, '127.0.0.1');
    return {
      app,
      usage: app.get(UsageService),
      dataSource: app.get(DataSource),
      logger,
      port: (app.getHttpServer().address() as AddressInfo).port,
      async close() {
        await app.close();
        await redis?.quit();
      },
    };
  }

  /** Checkout through A, paid on the fake Stripe, its events delivered to A's webhook. */
  async function subscribe(accountRef: string): Promise<void> {
    const session = await instances.a.app.get(BillingService).createCheckoutSession({
      accountRef,
      plan: 'api',
      successUrl: 'https://app.example/welcome?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.example/pricing',
    });
    for (const event of fake.completeCheckoutSession(session.id).events) {
      const { body, headers } = await signedDelivery(event, WEBHOOK_SECRET, clock.seconds());
      const response = await request(instances.a.app.getHttpServer()).post(`/ls/hook/${uuid}`).set(headers).send(body);
      if (response.status >= 300) throw new Error(`The webhook answered ${event.type} with ${response.status}: ${response.text}`);
    }
  }

  /**
   * The answers whose status is not one `allowed(i)` lists, with their bodies and, then, the errors
   * the instances logged (other than the flaky handler's own): what a failure shows.
   */
  function unexpected(answers: Answer[], allowed: (i: number) => number[]): unknown[] {
    const wrong = answers.flatMap((answer, i) => (allowed(i).includes(answer.status) ? [] : [{ i, status: answer.status, body: answer.body }]));
    if (wrong.length === 0) return [];
    const logged = [instances.a, instances.b].flatMap((instance) => instance.logger.lines.filter((line) => !line.includes(FLAKY_ERROR)));
    return [...wrong.slice(0, 5), { unexpectedAnswers: wrong.length, logged: logged.slice(-5) }];
  }

  /** The count as the store holds it (the row, or the Redis key), for the account's current period. */
  async function storedCount(accountRef: string): Promise<number | null> {
    const { periodStart } = await instances.a.usage.check(accountRef, 'api_calls');
    if (store === 'postgres') {
      const rows = await instances.a.dataSource.query(`SELECT period_start, used FROM litestripe_usage WHERE subject = $1 AND metric = 'api_calls'`, [`account:${accountRef}`]);
      if (rows.length === 0) return null;
      expect(rows).toEqual([{ period_start: periodStart, used: expect.any(String) }]); // one counter, of this period
      return Number(rows[0].used);
    }
    const value = await admin.get(`${prefix}:{account:${accountRef}|api_calls}:${periodStart.getTime()}`);
    return value === null ? null : Number(value);
  }

  /**
   * Every request at once, alternating between the two instances, each instance's half over a
   * keep-alive agent with a socket for every request (new per burst: no socket idles into the
   * server's keep-alive timeout between bursts).
   */
  async function fire(count: number, path: (i: number) => string, accountRef: string): Promise<Answer[]> {
    const agents = [new Agent({ keepAlive: true, maxSockets: count }), new Agent({ keepAlive: true, maxSockets: count })];
    try {
      return await Promise.all(Array.from({ length: count }, (_, i) => get(i % 2 === 0 ? instances.a : instances.b, path(i), accountRef, agents[i % 2])));
    } finally {
      for (const agent of agents) agent.destroy();
    }
  }

  beforeAll(async () => {
    admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect().catch((error: unknown) => {
      throw new Error(`Redis is not reachable at 127.0.0.1:6379 (${String(error)}); start it with: ${START_REDIS}`);
    });
    fake = await FakeStripe.start({ now: clock.fakeStripeNow });
    const price = fake.seedPrice({ nickname: 'API', lookupKey: `api_monthly_${store}`, unitAmount: 4900 });
    options = {
      secretKey: 'sk_test_litestripe',
      webhookUuid: uuid,
      webhookSecret: WEBHOOK_SECRET,
      stripe: fake.clientConfig(),
      plans: { api: { name: 'API', prices: { test: price.id }, features: [], limits: { api_calls: PLAN_LIMIT } } },
      clock,
      refetch: 'never',
      billingActionLimit: false,
    };
    instances.a = await bootInstance();
    instances.b = await bootInstance();
  }, 30_000);

  afterAll(async () => {
    await instances.b?.close();
    await instances.a?.close();
    await fake?.stop();
    if (admin) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
    }
  });

  it(`grants exactly ${PLAN_LIMIT} of ${REQUESTS} concurrent requests across both instances, and the count survives restarting instance ${restart.toUpperCase()}`, async () => {
    const account = `acct_${store}_limit`;
    await subscribe(account);
    const before = await instances.b.usage.check(account, 'api_calls');
    expect(before).toMatchObject({ used: 0, limit: PLAN_LIMIT, remaining: PLAN_LIMIT, source: 'plan', plan: 'api' });
    const retryAfter = Math.ceil(before.periodEnd.getTime() / 1000) - clock.seconds();
    expect(retryAfter).toBeGreaterThan(27 * 86_400); // a monthly billing period, starting now

    const answers = await fire(REQUESTS, () => '/api/search', account);

    expect(unexpected(answers, () => [200, 429])).toEqual([]);
    expect(countStatuses(answers)).toEqual({ 200: PLAN_LIMIT, 429: REQUESTS - PLAN_LIMIT });
    // Both instances granted and refused: the limit is shared, not per instance.
    const byInstance = (parity: number, status: number) => answers.filter((answer, i) => i % 2 === parity && answer.status === status).length;
    for (const parity of [0, 1]) {
      expect(byInstance(parity, 200)).toBeGreaterThan(0);
      expect(byInstance(parity, 429)).toBeGreaterThan(0);
    }
    // Every grant saw its own count: the remaining figures are 499 down to 0, each once.
    const remaining = answers.filter((answer) => answer.status === 200).map((answer) => Number(answer.headers['x-ratelimit-remaining-api_calls']));
    expect(remaining.sort((x, y) => x - y)).toEqual(Array.from({ length: PLAN_LIMIT }, (_, i) => i));
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.headers['retry-after']).toBe(String(retryAfter));
    expect(refused.headers['x-ratelimit-remaining-api_calls']).toBe('0');
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining(`api_calls limit of ${PLAN_LIMIT}`),
      reason: 'usage_limit',
      metric: 'api_calls',
      limit: PLAN_LIMIT,
      used: PLAN_LIMIT,
      resetsAt: before.periodEnd.toISOString(),
      retryAfterSeconds: retryAfter,
    });

    expect(await storedCount(account)).toBe(PLAN_LIMIT);
    for (const instance of [instances.a, instances.b]) {
      expect(await instance.usage.check(account, 'api_calls')).toMatchObject({ used: PLAN_LIMIT, remaining: 0, limit: PLAN_LIMIT, overLimit: true });
    }

    // Restart one instance on the same database and Redis: nothing of the count lived in it.
    await instances[restart].close();
    instances[restart] = await bootInstance();
    for (const instance of [instances[restart], instances[restart === 'a' ? 'b' : 'a']]) {
      expect(await instance.usage.check(account, 'api_calls')).toMatchObject({ used: PLAN_LIMIT, remaining: 0, periodEnd: before.periodEnd });
      const again = await get(instance, '/api/search', account);
      expect(again.status).toBe(429);
      expect(again.body).toMatchObject({ reason: 'usage_limit', used: PLAN_LIMIT, limit: PLAN_LIMIT });
      expect(again.headers['retry-after']).toBe(String(retryAfter));
    }
    expect(await storedCount(account)).toBe(PLAN_LIMIT);
  }, 60_000);

  it('gives back the units of requests that fail with a 500 while others race for them: the count ends at the successful ones', async () => {
    const account = `acct_${store}_refund`;
    await subscribe(account);
    // Every second request fails, after holding its unit for 0 to 4 ms while the others consume.
    const flaky = (i: number) => `/api/flaky?fail=${i % 4 < 2 ? 1 : 0}&delay=${i % 5}`;

    // Under the limit: every request gets a unit, the failed half give theirs back.
    const first = await fire(400, flaky, account);
    expect(unexpected(first, (i) => [i % 4 < 2 ? 500 : 200])).toEqual([]);
    expect(countStatuses(first)).toEqual({ 200: 200, 500: 200 });
    expect(await storedCount(account)).toBe(200);

    // Past the limit: 600 more race for the 300 units left, half of them failing and giving theirs back.
    const second = await fire(600, flaky, account);
    // A request meant to fail fails or is refused, one meant to succeed succeeds or is refused.
    expect(unexpected(second, (i) => [i % 4 < 2 ? 500 : 200, 429])).toEqual([]);
    const statuses = countStatuses(second);
    const succeeded = 200 + (statuses[200] ?? 0);
    expect(succeeded).toBeLessThanOrEqual(PLAN_LIMIT);
    expect(statuses[200] ?? 0).toBeGreaterThan(0);
    expect(await storedCount(account)).toBe(succeeded);
    for (const instance of [instances.a, instances.b]) {
      expect(await instance.usage.check(account, 'api_calls')).toMatchObject({ used: succeeded, remaining: PLAN_LIMIT - succeeded });
    }
  }, 60_000);

  if (store === 'redis') {
    it('loses the counts and the idempotency keys when Redis itself loses its data (a restart without persistence): the limit is granted again', async () => {
      const account = `acct_${store}_lost`;
      await subscribe(account);
      expect(await instances.a.usage.record(account, 'api_calls', 1, { idempotencyKey: 'import-1' })).toMatchObject({ used: 1, duplicate: false });
      expect(await instances.b.usage.record(account, 'api_calls', PLAN_LIMIT - 1)).toMatchObject({ used: PLAN_LIMIT, overLimit: true });
      expect((await get(instances.b, '/api/search', account)).status).toBe(429);

      // What a restart of a Redis without RDB/AOF does to this account's keys (only these: the server is shared), and to the script cache.
      const keys = await admin.keys(`${prefix}:{account:${account}|api_calls}:*`);
      expect(keys).toHaveLength(2); // the counter and the idempotency key
      await admin.del(...keys);
      await admin.script('FLUSH');

      expect(await instances.a.usage.check(account, 'api_calls')).toMatchObject({ used: 0, remaining: PLAN_LIMIT });
      const granted = await get(instances.b, '/api/search', account);
      expect(granted.status).toBe(200);
      expect(granted.headers['x-ratelimit-remaining-api_calls']).toBe(String(PLAN_LIMIT - 1));
      // A retried record() counts again: its key is gone with the rest.
      expect(await instances.a.usage.record(account, 'api_calls', 1, { idempotencyKey: 'import-1' })).toMatchObject({ used: 2, duplicate: false });
    });
  }
});
