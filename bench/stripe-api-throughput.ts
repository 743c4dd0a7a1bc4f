import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { getStripeClientToken, LITESTRIPE_MIGRATIONS, LitestripeModule, SubscriptionSyncService } from '@litestripe/nestjs';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { createDatabase, dropDatabase } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import { machineLine } from './machine-line';

/**
 * bench/stripe-api-throughput: the module's rate-limited Stripe client against an in-process
 * FakeStripe, with a short rate-limit window so that a run takes seconds.
 *
 *  (a) API calls/s achieved through the module's client, under more concurrent demand than the
 *      limit allows, versus the configured limit (ratio): (windows + 1) x limit calls, the rate
 *      taken after the first window's burst (the limiter's store window is 3%, at least 50 ms,
 *      longer than `rateLimitWindowMs`, a guard against jitter, so about 0.95 to 0.97 is the
 *      ceiling); and the busiest window by arrival at the fake (must not exceed the limit);
 *  (b) backfill time for N subscriptions versus the lower bound the limit sets, N/100 list calls
 *      at limit/window calls per second (ratio lower bound / measured: 1.0 is the bound itself);
 *      then the same backfill with a limit so high that the database sets the pace (rows/s).
 *
 *   npm run bench:stripe-api -- [--limit 50] [--window-ms 1000] [--windows 10] [--concurrency 64]
 *     [--subscriptions 2000] [--backfill-limit 2] [--backfill-concurrency 4] [--database-url postgres://...]
 */

interface Options {
  limit: number;
  windowMs: number;
  windows: number;
  concurrency: number;
  subscriptions: number;
  backfillLimit: number;
  backfillConcurrency: number;
  serverUrl: string;
}

const PAGE = 100;
const UNLIMITED = 100_000;

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['limit', 'window-ms', 'windows', 'concurrency', 'subscriptions', 'backfill-limit', 'backfill-concurrency', 'database-url'], ['help']);
  if (flags.has('help')) {
      console.log('Options (flag, or env): --limit L (BENCH_LIMIT, 50) requests per window for (a), --window-ms W (BENCH_WINDOW_MS, 1000), --windows M (BENCH_WINDOWS, 10): (a) sends (M + 1) x L calls, ' +
        '--concurrency C (BENCH_CONCURRENCY, 64) callers for (a), --subscriptions N (BENCH_SUBSCRIPTIONS, 2000) for (b), --backfill-limit B (BENCH_BACKFILL_LIMIT, 2) requests per window for (b), --backfill-concurrency K (BENCH_BACKFILL_CONCURRENCY, 4) subscriptions written at once, ' +
        '--database-url URL of the server (BENCH_DATABASE_URL, postgres://postgres@127.0.0.1:5432/postgres)');
      process.exit(0);
  }
  const int = (flag: string, env: string, fallback: number, min: number) => flags.wholeNumber(flag, fallback, min, env);
  return {
    limit: int('limit', 'BENCH_LIMIT', 50, 1),
    windowMs: int('window-ms', 'BENCH_WINDOW_MS', 1000, 100),
    windows: int('windows', 'BENCH_WINDOWS', 10, 2),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 64, 1),
    subscriptions: int('subscriptions', 'BENCH_SUBSCRIPTIONS', 2000, 1),
    backfillLimit: int('backfill-limit', 'BENCH_BACKFILL_LIMIT', 2, 1),
    backfillConcurrency: int('backfill-concurrency', 'BENCH_BACKFILL_CONCURRENCY', 4, 1),
    serverUrl: flags.serverUrl(),
  };
}

// ---------------------------------------------------------------------------------------------
// The host: TypeORM on a fresh PostgreSQL database, the event emitter, LitestripeModule, the sync service

function hostModule(url: string, fake: FakeStripe, maxRequestsPerMinute: number, rateLimitWindowMs: number): DynamicModule {
  @Module({})
  class StripeApiBenchModule {}
  return {
    module: StripeApiBenchModule,
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url, autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true, poolSize: 10 }),
      EventEmitterModule.forRoot(),
      LitestripeModule.forRoot({
        secretKey: 'sk_test_benchstripeapi',
        webhookUuid: '00000000-0000-4000-8000-000000000000',
        webhookSecret: 'whsec_benchbenchbenchbenchbenchbenchbench',
        stripe: { ...fake.clientConfig(), maxNetworkRetries: 0 },
        maxRequestsPerMinute,
        rateLimitWindowMs,
        // A caller may wait for many windows under this much demand.
        maxRateLimitWaitMs: 600_000,
        // The whole budget to the default lane, so the ratios measure the limiter itself (the default
        // 20% reserve for refreshes would cap these calls, all in the default lane, at 0.8 of the limit).
        rateLimitReserveForRefreshes: 0,
      }),
    ],
  };
}

async function withHost<T>(url: string, fake: FakeStripe, limit: number, windowMs: number, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(hostModule(url, fake, limit, windowMs), { logger: ['error', 'warn'], abortOnError: false });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------
// (a) calls per second through the client

/** Most requests that arrived within any `windowMs` starting at a request. */
function busiestWindow(times: number[], windowMs: number): number {
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + windowMs) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

async function measureCallRate(app: INestApplicationContext, fake: FakeStripe, options: Options, subscriptionId: string) {
  const stripe = app.get<Stripe>(getStripeClientToken());
  fake.clearRequests();
  // (windows + 1) windows' worth of calls: the first window's budget goes out at once, the rest at the pace the limiter keeps.
  const total = (options.windows + 1) * options.limit;
  let started = 0;
  const caller = async () => {
    while (started < total) {
      started++;
      await stripe.subscriptions.retrieve(subscriptionId);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  const times = fake.requests.map((request) => request.time).sort((a, b) => a - b);
  const spanSeconds = (times[times.length - 1] - times[0]) / 1000;
  const achieved = (times.length - options.limit) / spanSeconds;
  const allowed = options.limit / (options.windowMs / 1000);
  return { achieved, allowed, ratio: achieved / allowed, busiest: busiestWindow(times, options.windowMs), calls: times.length, spanSeconds };
}

// ---------------------------------------------------------------------------------------------
// (b) backfill time against the bound the limit sets

async function measureBackfill(app: INestApplicationContext, fake: FakeStripe, subscriptions: number, limit: number, windowMs: number, concurrency: number) {
  await app.get(DataSource).query('TRUNCATE litestripe_subscription, litestripe_orphaned_payment, litestripe_event, litestripe_outbox');
  fake.clearRequests();
  const startedAt = performance.now();
  const summary = await app.get(SubscriptionSyncService).backfill({ concurrency });
  const seconds = (performance.now() - startedAt) / 1000;
  if (summary.created !== subscriptions || summary.failed > 0 || !summary.complete) {
    throw new Error(`The backfill did not complete: ${JSON.stringify(summary)}`);
  }
  const listCalls = fake.requests.filter((request) => request.path === '/v1/subscriptions').length;
  const expectedCalls = Math.ceil(subscriptions / PAGE);
  if (listCalls !== expectedCalls) throw new Error(`Expected ${expectedCalls} list calls, saw ${listCalls}`);
  const boundSeconds = expectedCalls / (limit / (windowMs / 1000));
  // What the limiter allows exactly: `limit` calls at once, `limit` more each time a store window (3% longer, at least 50 ms) has passed.
  const storeWindowMs = windowMs + Math.max(Math.ceil(windowMs * 0.03), 50);
  const scheduleSeconds = ((Math.ceil(expectedCalls / limit) - 1) * storeWindowMs) / 1000;
  return { seconds, listCalls, boundSeconds, ratio: boundSeconds / seconds, scheduleSeconds, scheduleRatio: scheduleSeconds / seconds, rowsPerSecond: subscriptions / seconds };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const name = `litestripe_bench_stripe_api_${process.pid}`;
  const fake = await FakeStripe.start();
  const url = await createDatabase(options.serverUrl, name);
  try {
    const [one] = fake.seedSubscriptions(options.subscriptions, { metadata: (index): Record<string, string> => (index % 3 === 0 ? {} : { client_reference_id: `acct_${index}` }) });
    const window = `${options.windowMs} ms window`;
    console.log(`stripe-api-throughput: ${machineLine()}; in-process FakeStripe, PostgreSQL at ${new URL(options.serverUrl).host}`);

    const rate = await withHost(url, fake, options.limit, options.windowMs, (app) => measureCallRate(app, fake, options, one.id));
    console.log(
      `  (a) ${rate.calls} API calls through the module's client, ${options.concurrency} concurrent callers, limit ${options.limit} per ${window}: the first ${options.limit} at once, the rest in ${rate.spanSeconds.toFixed(2)} s:\n` +
        `      ${rate.achieved.toFixed(1)} calls/s of ${rate.allowed.toFixed(1)} allowed: ratio ${rate.ratio.toFixed(3)}; busiest ${window} as Stripe saw it: ${rate.busiest} of ${options.limit} calls` +
        (rate.busiest > options.limit ? ' (OVER THE LIMIT)' : ''),
    );

    const bounded = await withHost(url, fake, options.backfillLimit, options.windowMs, (app) => measureBackfill(app, fake, options.subscriptions, options.backfillLimit, options.windowMs, options.backfillConcurrency));
    console.log(
      `  (b) backfill of ${options.subscriptions} subscriptions (${options.backfillConcurrency} written at once), limit ${options.backfillLimit} per ${window}: ${bounded.listCalls} list calls in ${bounded.seconds.toFixed(2)} s; ` +
        `lower bound N/100 calls at the limit ${bounded.boundSeconds.toFixed(2)} s: ratio bound/measured ${bounded.ratio.toFixed(3)}\n` +
        `      (the limiter's exact schedule, ${options.backfillLimit} calls at once then ${options.backfillLimit} per window + 3% guard, sends the last call at ${bounded.scheduleSeconds.toFixed(2)} s: ratio ${bounded.scheduleRatio.toFixed(3)}; the rest is writing the last page)`,
    );

    const free = await withHost(url, fake, UNLIMITED, options.windowMs, (app) => measureBackfill(app, fake, options.subscriptions, UNLIMITED, options.windowMs, options.backfillConcurrency));
    console.log(
      `      the same with the limit out of the way (${UNLIMITED} per ${window}): ${free.seconds.toFixed(2)} s, ${Math.round(free.rowsPerSecond)} subscriptions/s written ` +
        `(the database's pace: below ${Math.floor((free.rowsPerSecond / PAGE) * (options.windowMs / 1000) * 10) / 10} calls per ${window} the API limit sets a backfill's pace, above it the database)`,
    );
  } finally {
    await fake.stop();
    await dropDatabase(options.serverUrl, name);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
