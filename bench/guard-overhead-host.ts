import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule } from '../libs/litestripe/src';
import { RequiresSubscription } from '../libs/litestripe/src/subscriptions';

/**
 * The server of bench/guard-overhead: one trivial route twice, without and with
 * `@RequiresSubscription()`, on Express over PostgreSQL. The account comes from the `x-user`
 * header. `CACHE=on` turns the in-process entitlement cache on. Env: PORT, DATABASE_URL, CACHE.
 */
@Controller()
class BenchController {
  @Get('unguarded')
  unguarded() {
    return { ok: true };
  }

  @RequiresSubscription()
  @Get('guarded')
  guarded() {
    return { ok: true };
  }
}

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };

  @Module({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: env('DATABASE_URL'), autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true, poolSize: 10 }),
      EventEmitterModule.forRoot(),
      LitestripeModule.forRoot({
        secretKey: 'sk_test_bench',
        webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
        webhookSecret: 'whsec_bench',
        plans: { pro: { prices: { test: 'price_bench_pro' }, features: ['export'] } },
        accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-user'],
        entitlementCache: process.env.CACHE === 'on' ? { ttlSeconds: 60 } : false,
        orphanEmailRetentionDays: null,
      }),
    ],
    controllers: [BenchController],
  })
  class GuardBenchModule {}

  const app = await NestFactory.create<NestExpressApplication>(GuardBenchModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
