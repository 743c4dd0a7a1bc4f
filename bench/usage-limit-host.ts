import 'reflect-metadata';
import { Controller, Get, Headers, Injectable, Module, OnApplicationShutdown, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule, RequiresSubscription, UsageLimit } from '@litestripe/nestjs';
// Diagnostic routes only (BENCH_DIAGNOSE=1): the interceptor @UsageLimit() adds, and the library's two stores called straight from a handler.
import { directQuery } from '../libs/litestripe/src/common/direct-query';
import { PostgresUsageStore } from '../libs/litestripe/src/usage/postgres-usage.store';
import { RedisUsageStore } from '../libs/litestripe/src/usage/redis-usage.store';
import { UsageRefundInterceptor } from '../libs/litestripe/src/usage/usage-refund.interceptor';
import { USAGE_LIMITS, UsageLimitRequirement } from '../libs/litestripe/src/access/usage-limit-requirement';
import type { UsageCounterKey } from '../libs/litestripe/src/usage/usage-store';
import { GUARD_HOST } from './guard-host-config';
import { USAGE_BENCH } from './usage-limit-config';

/**
 * The server of bench/usage-limit: Express over PostgreSQL (TypeORM, pool of 10, the module's
 * migrations), the entitlement cache at its default, the account in the `x-user` header. One plan,
 * `pro` (the price the benches seed, {@link GUARD_HOST}), with a limit of {@link USAGE_BENCH.limit}
 * on both metrics, so that nothing is refused during a run. `api_calls_redis` is counted in Redis
 * (`store: 'redis'`, an ioredis client to REDIS_URL, key prefix REDIS_PREFIX), `api_calls_pg` in
 * PostgreSQL (the default store). Every route returns the same constant:
 *
 * - `GET /unlimited`: `@RequiresSubscription()`: the guarded route without a limit (the baseline);
 * - `GET /limited-pg`: `@RequiresSubscription()` + `@UsageLimit('api_calls_pg')`;
 * - `GET /limited-redis`: `@RequiresSubscription()` + `@UsageLimit('api_calls_redis')`.
 *
 * With BENCH_DIAGNOSE=1, four more routes split the limited routes' cost (they are not what a host
 * writes; they use the library's internals):
 *
 * - `GET /unlimited-interceptor`: `/unlimited` + `@UseInterceptors(UsageRefundInterceptor)`, the
 *   interceptor `@UsageLimit()` adds: what Nest's interceptor path (rxjs) costs;
 * - `GET /unlimited-store-redis`, `GET /unlimited-store-pg`: `/unlimited` whose handler calls the
 *   store's `consume()` itself (one EVALSHA of the store's Lua script, or the store's one prepared
 *   `INSERT … ON CONFLICT`), on its own counter per account: the store's round trip alone, without
 *   the usage service, the enforcer and the interceptor;
 * - `GET /limited-redis-no-refund`: `/limited-redis` without the interceptor: the guard reads the
 *   same `@UsageLimit('api_calls_redis')` requirement (put on the handler as the decorator puts it)
 *   and takes the units, but nothing gives them back on a 5xx: what the limit costs without the
 *   refund's interceptor.
 *
 * Env: PORT, DATABASE_URL, REDIS_URL, REDIS_PREFIX, BENCH_DIAGNOSE, BENCH_REDIS_AUTOPIPELINING (`1`: the
 * client is created with ioredis' `enableAutoPipelining`, which sends the commands issued in one
 * tick in one write; off by default, as in a host that does not set it).
 */

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

/** The ioredis client of the usage store; closed when the app shuts down (the module does not close it). */
@Injectable()
class BenchRedis implements OnApplicationShutdown {
  readonly client = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: 1, enableAutoPipelining: process.env.BENCH_REDIS_AUTOPIPELINING === '1' });

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

@Controller()
class UsageBenchController {
  @RequiresSubscription()
  @Get('unlimited')
  unlimited() {
    return { ok: true };
  }

  @RequiresSubscription()
  @UsageLimit(USAGE_BENCH.pgMetric)
  @Get('limited-pg')
  limitedPg() {
    return { ok: true };
  }

  @RequiresSubscription()
  @UsageLimit(USAGE_BENCH.redisMetric)
  @Get('limited-redis')
  limitedRedis() {
    return { ok: true };
  }
}

/** The requirement `@UsageLimit(metric)` records, without the interceptor the decorator also applies. */
function UsageLimitWithoutRefund(metric: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    const requirement: UsageLimitRequirement = { metric, cost: 1, keepOnError: false };
    Reflect.defineMetadata(USAGE_LIMITS, [requirement], descriptor.value as object);
  };
}

/** A period that holds every run of the bench: the diagnostic routes' counters. */
const DIAGNOSTIC_PERIOD = { start: new Date(Date.UTC(2026, 0, 1)), end: new Date(Date.UTC(2100, 0, 1)) };

function diagnosticKey(user: string | undefined, metric: string): UsageCounterKey {
  return { subject: `account:${user ?? ''}`, metric, period: DIAGNOSTIC_PERIOD };
}

@Controller()
class UsageDiagnosticController {
  private readonly redisStore: RedisUsageStore;
  private readonly pgStore: PostgresUsageStore;

  constructor(@InjectDataSource() dataSource: DataSource, redis: BenchRedis) {
    this.redisStore = new RedisUsageStore(redis.client, `${env('REDIS_PREFIX')}:diag`);
    this.pgStore = new PostgresUsageStore(directQuery(dataSource));
  }

  @RequiresSubscription()
  @UseInterceptors(UsageRefundInterceptor)
  @Get('unlimited-interceptor')
  unlimitedInterceptor() {
    return { ok: true };
  }

  @RequiresSubscription()
  @Get('unlimited-store-redis')
  async unlimitedStoreRedis(@Headers('x-user') user: string | undefined) {
    await this.redisStore.consume(diagnosticKey(user, 'diag_redis'), 1, USAGE_BENCH.limit);
    return { ok: true };
  }

  @RequiresSubscription()
  @UsageLimitWithoutRefund(USAGE_BENCH.redisMetric)
  @Get('limited-redis-no-refund')
  limitedRedisNoRefund() {
    return { ok: true };
  }

  @RequiresSubscription()
  @Get('unlimited-store-pg')
  async unlimitedStorePg(@Headers('x-user') user: string | undefined) {
    await this.pgStore.consume(diagnosticKey(user, 'diag_pg'), 1, USAGE_BENCH.limit);
    return { ok: true };
  }
}

async function main(): Promise<void> {
  const diagnose = process.env.BENCH_DIAGNOSE === '1';

  @Module({ providers: [BenchRedis], exports: [BenchRedis] })
  class BenchRedisModule {}

  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: env('DATABASE_URL'), autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true, poolSize: 10 }),
      EventEmitterModule.forRoot(),
      BenchRedisModule,
      LitestripeModule.forRootAsync({
        imports: [BenchRedisModule],
        inject: [BenchRedis],
        useFactory: (redis: BenchRedis) => ({
          secretKey: GUARD_HOST.secretKey,
          webhookUuid: GUARD_HOST.webhookUuid,
          webhookSecret: GUARD_HOST.webhookSecret,
          plans: { pro: { prices: { test: GUARD_HOST.priceId }, limits: { [USAGE_BENCH.pgMetric]: USAGE_BENCH.limit, [USAGE_BENCH.redisMetric]: USAGE_BENCH.limit } } },
          accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-user'],
          orphanEmailRetentionDays: null,
          usage: {
            metrics: { [USAGE_BENCH.redisMetric]: { store: 'redis' } },
            redis: redis.client,
            redisKeyPrefix: env('REDIS_PREFIX'),
          },
        }),
      }),
    ],
    controllers: diagnose ? [UsageBenchController, UsageDiagnosticController] : [UsageBenchController],
  })
  class UsageBenchModule {}

  const app = await NestFactory.create<NestExpressApplication>(UsageBenchModule, { rawBody: true, logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
