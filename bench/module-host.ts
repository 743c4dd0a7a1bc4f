import 'reflect-metadata';
import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule } from '@litestripe/nestjs';
import { benchAdapter, DispatchReport, wallClockMs } from './bench-adapter';
// Internal, for the `applier-pause` diagnostic only: the same compiled module the package alias loads.
import { InboxApplier } from '../libs/litestripe/src/webhook/inbox/inbox.applier';

/**
 * The smallest host of the module, for `webhook-throughput --target host` (when the demo app is
 * not available, or to measure the module without the demo's extras) and for `webhook-ingest`:
 * TypeORM on PostgreSQL with the module's migrations, the event emitter, and LitestripeModule,
 * with the raw body kept. Same environment variables as the demo, plus:
 * - BENCH_DOMAIN_EVENTS (durable or in-process): overrides the module's `domainEvents` option;
 * - BENCH_WEBHOOK_PROCESSING (inline or deferred): overrides `webhookProcessing`;
 * - BENCH_INBOX (JSON of `InboxOptions`, e.g. `{"batchSize":200}`): the `inbox` option;
 * - BENCH_ADAPTER (express, the default, or fastify): the HTTP adapter.
 *
 * Over the IPC channel (when started by a bench), `dispatch-start` starts recording when the
 * domain events of each Stripe event were dispatched (an `onAny` listener on the host's
 * EventEmitter2: the first dispatch of each `payload.stripeEvent.id`, as wall-clock ms), and
 * `dispatch-report` answers with those times and stops recording. Nothing listens until then.
 * `applier-pause` and `applier-resume` (a diagnostic of `webhook-ingest --pause-applier`) stop and
 * restart this instance's inbox applier, by patching the internal InboxApplier instance: with it
 * paused, the webhook's ingest can be measured alone.
 */

async function main(): Promise<void> {
  const domainEvents = process.env.BENCH_DOMAIN_EVENTS || undefined;
  if (domainEvents !== undefined && domainEvents !== 'durable' && domainEvents !== 'in-process') throw new Error('BENCH_DOMAIN_EVENTS must be durable or in-process');
  const webhookProcessing = process.env.BENCH_WEBHOOK_PROCESSING || undefined;
  if (webhookProcessing !== undefined && webhookProcessing !== 'inline' && webhookProcessing !== 'deferred') throw new Error('BENCH_WEBHOOK_PROCESSING must be inline or deferred');
  const inbox = process.env.BENCH_INBOX ? (JSON.parse(process.env.BENCH_INBOX) as object) : undefined;
  const adapter = benchAdapter();
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
        ...(webhookProcessing ? { webhookProcessing } : {}),
        ...(inbox ? { inbox } : {}),
      }),
    ],
  })
  class BenchHostModule {}

  const options = { rawBody: true, logger: ['error', 'warn'] as ('error' | 'warn')[] };
  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create<NestFastifyApplication>(BenchHostModule, new FastifyAdapter(), options)
      : await NestFactory.create<NestExpressApplication>(BenchHostModule, options);
  app.enableShutdownHooks();
  recordDispatchesOnRequest(app.get(EventEmitter2));
  pauseApplierOnRequest(app.get(InboxApplier, { strict: false }));
  await app.listen(Number(env('PORT')), '127.0.0.1');
}

function recordDispatchesOnRequest(emitter: EventEmitter2): void {
  let times = new Map<string, number>();
  let domainEvents = 0;
  const listener = (_name: string | string[], payload?: { stripeEvent?: { id?: unknown } }) => {
    const id = payload?.stripeEvent?.id;
    if (typeof id !== 'string') return;
    domainEvents += 1;
    if (!times.has(id)) times.set(id, wallClockMs());
  };
  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'dispatch-start') {
      times = new Map();
      domainEvents = 0;
      emitter.offAny(listener);
      emitter.onAny(listener);
      process.send?.({ type: 'dispatch-started' });
    } else if (message?.cmd === 'dispatch-report') {
      emitter.offAny(listener);
      const report: DispatchReport = { type: 'dispatch-times', times: [...times], domainEvents };
      process.send?.(report);
    }
  });
}

function pauseApplierOnRequest(applier: InboxApplier): void {
  const patched = applier as unknown as Record<string, unknown>;
  process.on('message', (message: { cmd?: string }) => {
    if (message?.cmd === 'applier-pause') {
      patched.wake = () => undefined;
      patched.applyBatch = async () => 0; // ends a drain under way after its current batch
      void applier.idle().then(() => process.send?.({ type: 'applier-paused' }));
    } else if (message?.cmd === 'applier-resume') {
      delete patched.wake;
      delete patched.applyBatch;
      applier.wake();
      process.send?.({ type: 'applier-resumed' });
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
