import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule } from '@litestripe/nestjs';

/**
 * The smallest host of the module, for `webhook-throughput --target host` (when the demo app is
 * not available, or to measure the module without the demo's extras): TypeORM on PostgreSQL
 * with the module's migrations, the event emitter, and LitestripeModule, on Express with the raw
 * body kept. Same environment variables as the demo, plus BENCH_DOMAIN_EVENTS (durable or
 * in-process) to override the module's `domainEvents` option.
 */
async function main(): Promise<void> {
  const domainEvents = process.env.BENCH_DOMAIN_EVENTS || undefined;
  if (domainEvents !== undefined && domainEvents !== 'durable' && domainEvents !== 'in-process') throw new Error('BENCH_DOMAIN_EVENTS must be durable or in-process');
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: env('DATABASE_URL'),
        autoLoadEntities: true,
        migrations: LITESTRIPE_MIGRATIONS,
        migrationsRun: true,
        poolSize: 10,
      }),
      EventEmitterModule.forRoot(),
      LitestripeModule.forRoot({
        secretKey: env('STRIPE_SECRET_KEY'),
        webhookUuid: env('STRIPE_WEBHOOK_UUID'),
        webhookSecret: env('STRIPE_WEBHOOK_SECRET').split(','),
        ...(domainEvents ? { domainEvents } : {}),
      }),
    ],
  })
  class BenchHostModule {}

  const app = await NestFactory.create<NestExpressApplication>(BenchHostModule, { rawBody: true, logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
