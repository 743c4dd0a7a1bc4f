import 'reflect-metadata';
import { CanActivate, Controller, Get, Headers, Injectable, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule, RequiresSubscription, StripeSubscription, SubscriptionService } from '@litestripe/nestjs';
import { GUARD_HOST, GuardHostInfo } from './guard-host-config';

/** Lets every request through: `/noop-guarded` costs what any guard costs in Nest, and nothing more. */
@Injectable()
class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/**
 * The server of bench/guard-overhead, bench/guest-guard and bench/invalidation-latency, on Express over PostgreSQL,
 * created with `rawBody: true` so that the module's webhook (`POST /ls/hook/<uuid>`) takes signed
 * events. The account comes from the `x-user` header. Routes:
 *
 * - `GET /unguarded`: a constant, no guard, no database;
 * - `GET /unguarded-query`: no guard, but the guard's indexed query, through the same pool (the
 *   app's TypeORM DataSource): `SELECT <the entity's columns> FROM litestripe_subscription WHERE
 *   "account_ref" = $1 AND "livemode" = $2` for the `x-user` account in test mode;
 * - `GET /noop-guarded`: the constant behind {@link AllowAllGuard}, a guard that only returns true:
 *   the floor of Nest's guard machinery, without the library;
 * - `GET /guarded`: the constant behind `@RequiresSubscription()` (for an account in `x-user`, or
 *   a guest by the access token in `x-guest-token`);
 * - `GET /bench-info`: whether the module keeps what it looked up in its entitlement cache ({@link GuardHostInfo}).
 *
 * Env: PORT, DATABASE_URL, CACHE (`off`: `entitlementCache: false`; `default`: the option left out,
 * so the module's default is what runs).
 */
@Controller()
class BenchController {
  private readonly query: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionService,
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

  /**
   * Whether the module keeps an account's rows in memory, as a host sees it: a lookup, then
   * `peekEntitlement` (undefined without the cache). Asked again for up to 2 s, since the cache is
   * trusted only once its listen connection listens.
   */
  @Get('bench-info')
  async info(): Promise<GuardHostInfo> {
    let cacheInUse: boolean | undefined;
    try {
      const deadline = Date.now() + 2000;
      for (;;) {
        await this.subscriptions.getEntitlement('bench-info');
        cacheInUse = this.subscriptions.peekEntitlement('bench-info') !== undefined;
        if (cacheInUse || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } catch {
      cacheInUse = undefined;
    }
    return { cacheOption: process.env.CACHE === 'off' ? 'off' : 'default', cacheInUse };
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
        // A request without x-user is a guest's, by the token in this header (bench/guest-guard).
        guests: { tokenFrom: { header: 'x-guest-token' }, tokenAttempts: false },
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
