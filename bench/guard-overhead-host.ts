import 'reflect-metadata';
import { CanActivate, Controller, Get, Headers, Injectable, Module, UseGuards } from '@nestjs/common';
import { ModuleRef, NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule, StripeSubscription } from '../libs/litestripe/src';
import { RequiresSubscription } from '../libs/litestripe/src/access';
import { LITESTRIPE_ENTITLEMENT_OPTIONS } from '../libs/litestripe/src/config/entitlement-options';
import { GUARD_HOST, GuardHostInfo } from './guard-host-config';

/** Lets every request through: `/noop-guarded` costs what any guard costs in Nest, and nothing more. */
@Injectable()
class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/**
 * The server of bench/guard-overhead and bench/invalidation-latency, on Express over PostgreSQL,
 * created with `rawBody: true` so that the module's webhook (`POST /ls/hook/<uuid>`) takes signed
 * events. The account comes from the `x-user` header. Routes:
 *
 * - `GET /unguarded`: a constant, no guard, no database;
 * - `GET /unguarded-query`: no guard, but the guard's indexed query, through the same pool (the
 *   app's TypeORM DataSource): `SELECT <the entity's columns> FROM litestripe_subscription WHERE
 *   "account_ref" = $1 AND "livemode" = $2` for the `x-user` account in test mode;
 * - `GET /noop-guarded`: the constant behind {@link AllowAllGuard}, a guard that only returns true:
 *   the floor of Nest's guard machinery, without the library;
 * - `GET /guarded`: the constant behind `@RequiresSubscription()`;
 * - `GET /bench-info`: the entitlement cache as the module resolved it ({@link GuardHostInfo}).
 *
 * Env: PORT, DATABASE_URL, CACHE (`off`: `entitlementCache: false`; `default`: the option left out,
 * so the module's default is what runs).
 */
@Controller()
class BenchController {
  private readonly query: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly moduleRef: ModuleRef,
  ) {
    const columns = dataSource.getMetadata(StripeSubscription).columns.map((column) => `"${column.databaseName}"`);
    this.query = `SELECT ${columns.join(', ')} FROM litestripe_subscription WHERE "account_ref" = $1 AND "livemode" = $2`;
  }

  @Get('unguarded')
  unguarded() {
    return { ok: true };
  }

  @Get('unguarded-query')
  async unguardedQuery(@Headers('x-user') user: string | undefined) {
    await this.dataSource.query(this.query, [user ?? '', false]);
    return { ok: true };
  }

  @UseGuards(AllowAllGuard)
  @Get('noop-guarded')
  noopGuarded() {
    return { ok: true };
  }

  @RequiresSubscription()
  @Get('guarded')
  guarded() {
    return { ok: true };
  }

  @Get('bench-info')
  info(): GuardHostInfo {
    let resolvedCache: GuardHostInfo['resolvedCache'];
    try {
      const options = this.moduleRef.get<{ cache?: { ttlMs: number; maxEntries: number } | null }>(LITESTRIPE_ENTITLEMENT_OPTIONS, { strict: false });
      resolvedCache = options?.cache === null ? null : options?.cache ? { ttlMs: options.cache.ttlMs, maxEntries: options.cache.maxEntries } : undefined;
    } catch {
      resolvedCache = undefined;
    }
    return { cacheOption: process.env.CACHE === 'off' ? 'off' : 'default', resolvedCache };
  }
}

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const cache = env('CACHE');
  if (cache !== 'off' && cache !== 'default') throw new Error('CACHE must be off or default');

  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: env('DATABASE_URL'), autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true, poolSize: 10 }),
      EventEmitterModule.forRoot(),
      LitestripeModule.forRoot({
        secretKey: GUARD_HOST.secretKey,
        webhookUuid: GUARD_HOST.webhookUuid,
        webhookSecret: GUARD_HOST.webhookSecret,
        plans: { pro: { prices: { test: GUARD_HOST.priceId }, features: ['export'] } },
        accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-user'],
        ...(cache === 'off' ? { entitlementCache: false as const } : {}),
        orphanEmailRetentionDays: null,
      }),
    ],
    controllers: [BenchController],
  })
  class GuardBenchModule {}

  const app = await NestFactory.create<NestExpressApplication>(GuardBenchModule, { rawBody: true, logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
