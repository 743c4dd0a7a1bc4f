import 'reflect-metadata';
import { LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_ENTITIES, LITESTRIPE_MIGRATIONS, LitestripeModule } from '@litestripe/nestjs';
import { DeliveryRecorder } from './delivery-recorder';

/**
 * The app the chaos suite runs as real processes (two at a time on one database): the module as a
 * host would register it, with durable domain events, a short outbox lease and poll interval so
 * that crashed instances' entries are picked up within the run, and every log level on so that the
 * log scan has plenty to read. Imports the library by its package name, as a host does: global-setup.js
 * makes the name resolve at run time to the library compiled beside it (scripts/package-alias.js).
 *
 * Environment: PORT, DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_UUID,
 * CHAOS_INSTANCE (name written with each delivery), CHAOS_LISTENER_FAIL_RATE, CHAOS_LISTENER_DELAY_MS,
 * CHAOS_LEASE_MS (the outbox lease, default 2000).
 */
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      url: env('DATABASE_URL'),
      entities: LITESTRIPE_ENTITIES,
      migrations: LITESTRIPE_MIGRATIONS,
      migrationsRun: true,
      poolSize: 10,
    }),
    EventEmitterModule.forRoot({ wildcard: true }),
    LitestripeModule.forRoot({
      secretKey: env('STRIPE_SECRET_KEY'),
      webhookUuid: env('STRIPE_WEBHOOK_UUID'),
      webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
      domainEvents: 'durable',
      outbox: { pollIntervalMs: 200, leaseMs: Number(process.env.CHAOS_LEASE_MS ?? 2000), retryBackoffMs: 100 },
      refetch: 'never',
      // The suite replays years of Stripe time in minutes: keep every event it sends, even across a restart's sweep.
      eventLogRetentionDays: 36_500,
    }),
  ],
  providers: [DeliveryRecorder],
})
class ChaosHostModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(ChaosHostModule, { rawBody: true, logger: LOG_LEVELS });
  // Express parses 100 kB at most by default; let the module's own limit (1 MiB) decide.
  app.useBodyParser('json', { limit: '2mb' });
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), '127.0.0.1');
  // The suite's commands: a full garbage collection before a memory reading (node --expose-gc).
  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd !== 'gc') return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ type: 'gc-done' });
  });
  // The suite's process went away without stopping us (killed test run): do not linger on the port and the database.
  process.on('disconnect', () => process.exit(1));
  process.send?.({ type: 'listening' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
