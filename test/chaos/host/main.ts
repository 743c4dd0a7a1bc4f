import 'reflect-metadata';
import { LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_ENTITIES, LITESTRIPE_MIGRATIONS, LitestripeModule, WebhookInboxService } from '@litestripe/nestjs';
import { DeliveryRecorder } from './delivery-recorder';
import { chaosBrokers } from './brokers';

/**
 * The app the chaos suite runs as real processes (two at a time on one database): the module as a
 * host would register it, with durable domain events, a short outbox lease and poll interval so
 * that crashed instances' entries are picked up within the run, and every log level on so that the
 * log scan has plenty to read. Imports the library by its package name, as a host does: global-setup.js
 * makes the name resolve at run time to the library compiled beside it (scripts/package-alias.js).
 *
 * Environment: PORT, DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_WEBHOOK_UUID,
 * CHAOS_INSTANCE (name written with each delivery), CHAOS_LISTENER_FAIL_RATE, CHAOS_LISTENER_DELAY_MS,
 * CHAOS_LEASE_MS (the outbox lease, default 2000), CHAOS_WEBHOOK_PROCESSING (`inline`, the default,
 * or `deferred`), CHAOS_INBOX_LEASE_MS (the inbox lease, default 2000), CHAOS_POISON_REFERENCE (the
 * `client_reference_id` for which the host's `validateClientReference` throws), and the brokers' (host/brokers.ts).
 *
 * Deferred processing is tuned like the outbox, so that a crashed instance's batches are taken over
 * within the run: a 2 s lease, a sweep every 500 ms, and a poisoned event kept as failed after
 * 5 attempts 100, 200, 400 and 800 ms apart.
 */
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

const WEBHOOK_PROCESSING = webhookProcessing(process.env.CHAOS_WEBHOOK_PROCESSING ?? 'inline');
const POISON_REFERENCE = process.env.CHAOS_POISON_REFERENCE ?? 'acct_chaos_poisoned';

/**
 * The host's account check: every account exists, but the check of one (the poisoned reference)
 * always fails, as a host's lookup would on a broken account. Throwing fails the event: inline it
 * answers 500 (Stripe retries), deferred the applier retries it, then keeps it as failed.
 */
function validateClientReference(reference: string): boolean {
  if (reference === POISON_REFERENCE) throw new Error('chaos: the account check fails for this reference, on purpose');
  return true;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function webhookProcessing(value: string): 'inline' | 'deferred' {
  if (value !== 'inline' && value !== 'deferred') throw new Error(`CHAOS_WEBHOOK_PROCESSING must be inline or deferred, not ${value}`);
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
      brokers: chaosBrokers(),
      outbox: { pollIntervalMs: 200, leaseMs: Number(process.env.CHAOS_LEASE_MS ?? 2000), retryBackoffMs: 100 },
      refetch: 'never',
      webhookProcessing: WEBHOOK_PROCESSING,
      inbox: { leaseMs: Number(process.env.CHAOS_INBOX_LEASE_MS ?? 2000), sweepIntervalMs: 500, retryBackoffMs: 100, maxAttempts: 5 },
      validateClientReference,
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
  // The suite's commands: a full garbage collection before a memory reading (node --expose-gc), and
  // the inbox as an operator sees it (WebhookInboxService: status and failed events).
  const inbox = app.get(WebhookInboxService);
  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ type: 'gc-done' });
    }
    if (message?.cmd === 'inbox') {
      void Promise.all([inbox.status(), inbox.listFailed()]).then(
        ([status, failed]) => process.send?.({ type: 'inbox', status, failed }),
        (error: unknown) => process.send?.({ type: 'inbox', error: String(error) }),
      );
    }
  });
  // The suite's process went away without stopping us (killed test run): do not linger on the port and the database.
  process.on('disconnect', () => process.exit(1));
  process.send?.({ type: 'listening' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
