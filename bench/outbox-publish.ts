import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { connect as amqpConnect, type Channel, type ChannelModel } from 'amqplib';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Client } from 'pg';
import {
  IN_PROCESS_DESTINATION,
  LITESTRIPE_MIGRATIONS,
  LitestripeEvents,
  LitestripeModule,
  OutboxService,
  StripeEventRef,
  StripeSubscription,
  SubscriptionChangedEvent,
  type OutboxBroker,
  type SubscriptionChangedEventName,
} from '@litestripe/nestjs';
import { jetStreamOutboxBroker, rabbitMqOutboxBroker } from '@litestripe/nestjs/brokers';
import { OutboxRepository } from '../libs/litestripe/src/events/outbox/outbox.repository';
import { PublicationRepository } from '../libs/litestripe/src/events/outbox/publication.repository';
import { createDatabase, dropDatabase } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import { categoryOf } from './cpu-profile';
import { machineLine } from './machine-line';
import { backgroundLoad, cpuSnapshot, CpuTally, cpuUse, tallyCpu } from './webhook-harness';

/**
 * bench/outbox-publish: how fast the outbox delivers entries that wait, to each kind of
 * destination, in one run on one fresh database:
 *
 *   in-process  the baseline: the app's EventEmitter2 (`inProcessEvents` true, no brokers), one
 *               no-op listener per event name
 *   rabbitmq    `rabbitMqOutboxBroker` only (`inProcessEvents: false`): persistent messages to a
 *               durable topic exchange with one durable queue bound, publisher confirms
 *   nats        `jetStreamOutboxBroker` only (`inProcessEvents: false`): a file-storage stream,
 *               each publish awaits its PubAck
 *
 * For each batch size (`outbox.batchSize`) and destination, one app (LitestripeModule over
 * TypeORM on the local PostgreSQL, polling off: `outbox.pollIntervalMs: 0`) is booted, a warm-up
 * set is dispatched, then N entries are written with SQL as the library writes them (rows of
 * litestripe_outbox, and for a broker one litestripe_outbox_publication row each, already
 * delivered in-process), each a `SubscriptionChangedEvent` as the module records it. The time is
 * that of `OutboxService.dispatchDue()`, called until the destination's depth is 0. The bench
 * then checks that every entry arrived once (listener calls, messages in the queue or the
 * stream) and none was retried. Figures are entries/s, CPU per entry from /proc (this process,
 * which is the app; PostgreSQL; the RabbitMQ and NATS servers; anything else), and the ratio of
 * each broker to the in-process dispatch at the same batch size. Over several rounds the
 * destinations run in alternate orders, and the ratio is the median of the rounds' ratios, each
 * against the same round's baseline.
 *
 *   npm run bench:outbox-publish -- [--entries 20000] [--warmup 1000] [--batch-sizes 100,500] [--rounds 3]
 *     [--database-url URL] [--amqp-url amqp://guest:guest@127.0.0.1:5672] [--nats-servers 127.0.0.1:4222] [--profile] [--nats-async-traces]
 */

type Destination = typeof IN_PROCESS_DESTINATION | 'rabbitmq' | 'nats';
const DESTINATIONS: readonly Destination[] = [IN_PROCESS_DESTINATION, 'rabbitmq', 'nats'];

/** The event names the entries cycle through: what one checkout and its renewals record. */
const EVENT_NAMES: readonly SubscriptionChangedEventName[] = [LitestripeEvents.SubscriptionCreated, LitestripeEvents.SubscriptionActivated, LitestripeEvents.SubscriptionUpdated];

const SEED_CHUNK = 2000;
const DRAIN_TIMEOUT_MS = 300_000;
const WARMUP_TIMEOUT_MS = 30_000;
/** Above this share of the busy CPU taken by other processes, a measurement is marked as disturbed. */
const NOISE_SHARE = 0.15;

interface Options {
  entries: number;
  warmup: number;
  batchSizes: number[];
  rounds: number;
  serverUrl: string;
  amqpUrl: string;
  natsServers: string;
  profile: boolean;
  natsAsyncTraces: boolean;
}

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['entries', 'warmup', 'batch-sizes', 'rounds', 'database-url', 'amqp-url', 'nats-servers'], ['profile', 'nats-async-traces', 'help']);
  if (flags.has('help')) {
    console.log(
      'Options (flag, or env): --entries N (BENCH_ENTRIES, 20000) per measurement, --warmup W (BENCH_WARMUP, 1000) entries dispatched untimed first, ' +
        '--batch-sizes 100,500 (BENCH_BATCH_SIZES: outbox.batchSize values), --rounds R (BENCH_ROUNDS, 3), --database-url URL of the server (BENCH_DATABASE_URL), ' +
        '--amqp-url (BENCH_AMQP_URL, amqp://guest:guest@127.0.0.1:5672), --nats-servers (BENCH_NATS_SERVERS, 127.0.0.1:4222), ' +
        '--profile (a V8 CPU profile of each timed dispatch: self time per package and function, per entry; it slows the app, so take throughput from runs without it), ' +
        '--nats-async-traces (the JetStream broker with connectionOptions.noAsyncTraces: false, the NATS client\'s default: it then builds Errors per request for their stack traces)',
    );
    process.exit(0);
  }
  const batchSizes = flags.text('batch-sizes', '100,500', 'BENCH_BATCH_SIZES').split(',').map(Number);
  if (batchSizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error('--batch-sizes must be whole numbers >= 1, separated by commas');
  return {
    entries: flags.wholeNumber('entries', 20_000, 1, 'BENCH_ENTRIES'),
    warmup: flags.wholeNumber('warmup', 1000, 0, 'BENCH_WARMUP'),
    batchSizes,
    rounds: flags.wholeNumber('rounds', 3, 1, 'BENCH_ROUNDS'),
    serverUrl: flags.serverUrl(),
    amqpUrl: flags.text('amqp-url', 'amqp://guest:guest@127.0.0.1:5672', 'BENCH_AMQP_URL'),
    natsServers: flags.text('nats-servers', '127.0.0.1:4222', 'BENCH_NATS_SERVERS'),
    profile: flags.has('profile'),
    natsAsyncTraces: flags.has('nats-async-traces'),
  };
}

// ---------------------------------------------------------------------------------------------
// The entries: SubscriptionChangedEvents as the module records them (the committed row, the Stripe event)

interface EntryRows {
  ids: string[];
  names: string[];
  payloads: string[];
  stripeEventIds: string[];
}

/** `count` entries whose ids start with `tag` (unique per measurement: JetStream drops an id it has seen within its duplicate window). */
function entryRows(tag: string, count: number): EntryRows {
  const rows: EntryRows = { ids: [], names: [], payloads: [], stripeEventIds: [] };
  const periodStart = new Date('2026-11-01T09:12:31.000Z');
  for (let i = 0; i < count; i++) {
    const name = EVENT_NAMES[i % EVENT_NAMES.length];
    const stripeEventId = `evt_${tag}_${Math.floor(i / EVENT_NAMES.length)}`;
    const subscriptionId = `sub_1Q${tag}${String(i).padStart(8, '0')}`;
    const subscription = Object.assign(new StripeSubscription(), {
      id: subscriptionId,
      customerId: `cus_R${String(i).padStart(12, '0')}`,
      accountRef: `acct_${String(i % 5000).padStart(6, '0')}`,
      status: 'active',
      priceId: 'price_1QAbCdEfGhIjKlMnOpQrStUv',
      productId: 'prod_RzYxWvUtSrQpOn',
      lookupKey: 'pro_monthly',
      quantity: 1,
      currentPeriodStart: periodStart,
      currentPeriodEnd: new Date(periodStart.getTime() + 30 * 86_400_000),
      trialStart: null,
      trialEnd: null,
      cancelAtPeriodEnd: false,
      cancelAt: null,
      canceledAt: null,
      endedAt: null,
      pauseBehavior: null,
      pauseResumesAt: null,
      livemode: false,
      metadata: { checkout: { client_reference_id: `acct_${String(i % 5000).padStart(6, '0')}` }, subscription: { plan: 'pro' } },
      latestPaymentStatus: 'succeeded',
      latestInvoiceId: `in_1Q${String(i).padStart(14, '0')}`,
      latestPaymentAt: periodStart,
      eventCreated: 1_793_000_000 + i,
      statusRank: 3,
      paymentEventCreated: 1_793_000_000 + i,
      linkPendingRef: null,
      linkPendingAt: null,
      createdAt: periodStart,
      updatedAt: new Date(periodStart.getTime() + i),
    } satisfies Partial<StripeSubscription>);
    const id = `${stripeEventId}:${name}`;
    const event = new SubscriptionChangedEvent(name, id, subscription, i % 3 === 1 ? 'incomplete' : 'active', new StripeEventRef(stripeEventId, 'customer.subscription.updated', 1_793_000_000 + i, false, null));
    rows.ids.push(id);
    rows.names.push(name);
    rows.payloads.push(JSON.stringify(event));
    rows.stripeEventIds.push(stripeEventId);
  }
  return rows;
}

/**
 * Writes the entries as `OutboxRepository.insertStatements` does (for a broker, one publication
 * row each, in order, and the in-process mark already set: `inProcessEvents: false`), but due at
 * once instead of leased to the instance that recorded them: as a pass finds entries that wait.
 */
async function seed(db: Client, rows: EntryRows, destination: Destination): Promise<void> {
  const broker = destination !== IN_PROCESS_DESTINATION;
  for (let from = 0; from < rows.ids.length; from += SEED_CHUNK) {
    const slice = <T>(values: T[]) => values.slice(from, from + SEED_CHUNK);
    const ids = slice(rows.ids);
    await db.query('BEGIN');
    await db.query(
      `INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id", "available_at", "delivered_at")
       SELECT id, name, payload::json, stripe_event_id, now(), CASE WHEN $5 THEN now() END
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(id, name, payload, stripe_event_id, position)
       ORDER BY position`,
      [ids, slice(rows.names), slice(rows.payloads), slice(rows.stripeEventIds), broker],
    );
    if (broker) {
      await db.query(
        `INSERT INTO litestripe_outbox_publication ("outbox_id", "destination")
         SELECT id, $2 FROM unnest($1::text[]) WITH ORDINALITY AS e(id, position) ORDER BY position`,
        [ids, destination],
      );
    }
    await db.query('COMMIT');
  }
}

async function clearOutbox(db: Client): Promise<void> {
  await db.query('TRUNCATE litestripe_outbox, litestripe_outbox_publication');
}

// ---------------------------------------------------------------------------------------------
// The brokers: unique names, counted and deleted by the bench's own connections

interface BrokerSetup {
  exchange: string;
  queue: string;
  stream: string;
  amqp: ChannelModel;
  channel: Channel;
  nats: NatsConnection;
  jsm: JetStreamManager;
  /** Destinations whose queue or stream exists: the broker declares it when it first connects. */
  declared: Set<Destination>;
}

async function openBrokers(options: Options): Promise<BrokerSetup> {
  const name = `litestripe-bench-${process.pid}-${Date.now().toString(36)}`;
  const amqp = await amqpConnect(options.amqpUrl);
  const channel = await amqp.createChannel();
  const nats = await natsConnect({ servers: options.natsServers });
  return { exchange: name, queue: name, stream: name.toUpperCase().replace(/-/g, '_'), amqp, channel, nats, jsm: await jetstreamManager(nats), declared: new Set() };
}

function brokerFor(destination: Destination, setup: BrokerSetup, options: Options): OutboxBroker[] {
  if (destination === 'rabbitmq') return [rabbitMqOutboxBroker({ urls: [options.amqpUrl], exchange: setup.exchange, queues: [{ name: setup.queue }] })];
  if (destination === 'nats') {
    const connectionOptions = options.natsAsyncTraces ? { noAsyncTraces: false } : undefined;
    return [jetStreamOutboxBroker({ servers: options.natsServers, stream: { name: setup.stream }, connectionOptions })];
  }
  return [];
}

/** Messages the destination holds (the queue, or the stream), to check that each entry arrived once. */
async function storedMessages(destination: Destination, setup: BrokerSetup): Promise<number> {
  if (destination === 'rabbitmq') return (await setup.channel.checkQueue(setup.queue)).messageCount;
  if (destination === 'nats') return (await setup.jsm.streams.info(setup.stream)).state.messages;
  return 0;
}

async function emptyDestination(destination: Destination, setup: BrokerSetup): Promise<void> {
  if (!setup.declared.has(destination)) return;
  if (destination === 'rabbitmq') await setup.channel.purgeQueue(setup.queue);
  if (destination === 'nats') await setup.jsm.streams.purge(setup.stream);
}

async function closeBrokers(setup: BrokerSetup): Promise<string> {
  const done: string[] = [];
  await setup.channel.deleteQueue(setup.queue).then(() => done.push(`queue ${setup.queue}`), () => undefined);
  await setup.channel.deleteExchange(setup.exchange).then(() => done.push(`exchange ${setup.exchange}`), () => undefined);
  await setup.amqp.close().catch(() => undefined);
  await setup.jsm.streams.delete(setup.stream).then(() => done.push(`stream ${setup.stream}`), () => undefined);
  await setup.nats.close().catch(() => undefined);
  return done.join(', ');
}

// ---------------------------------------------------------------------------------------------
// CPU of the broker servers (the app, PostgreSQL and the machine come from webhook-harness)

/** Clock ticks so far of the RabbitMQ (beam.smp) and NATS server processes. */
function brokerTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm !== 'beam.smp' && comm !== 'nats-server') continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone, or not Linux
    }
  }
  return ticks;
}

// ---------------------------------------------------------------------------------------------
// --profile: where the app's CPU goes during one timed dispatch

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time in µs per entry: [package or place, µs] by descending time, the top `top`. */
interface ProfileTop {
  categories: [string, number][];
  functions: [string, number][];
}

async function profiled<T>(enabled: boolean, entries: number, work: () => Promise<T>): Promise<{ result: T; profile: ProfileTop | null }> {
  if (!enabled) return { result: await work(), profile: null };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    const result = await work();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node.id] as const)));
    const inProfiler = (id: number | undefined): boolean => id !== undefined && (nodes.get(id)!.url.startsWith('node:inspector') || inProfiler(parents.get(id)));
    const categories = new Map<string, number>();
    const functions = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = nodes.get(id)!;
      // Idle time, and the profiler's own calls (under node:inspector), are not the app's work.
      if (functionName === '(idle)' || inProfiler(id)) return;
      const us = (profile.timeDeltas[i] ?? 0) / entries;
      const category = categoryOf(url, functionName);
      categories.set(category, (categories.get(category) ?? 0) + us);
      const place = url ? ` @ ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(libs|bench)\//, '$1/')}:${lineNumber + 1}` : '';
      const name = `${functionName || '(anonymous)'}${place}`;
      functions.set(name, (functions.get(name) ?? 0) + us);
    });
    const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
    return { result, profile: { categories: top(categories, 10), functions: top(functions, 10) } };
  } finally {
    session.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Where the wall time goes: the outbox's lease and mark statements, timed inside the app

/** Wall-clock ms spent in the lease and mark statements (the rest of a dispatch is sending, and waiting for confirms). */
interface PhaseClock {
  leases: number;
  leaseMs: number;
  markMs: number;
}

/** Times `methods` of the app's own repository instance (bench only: the library's internals, not its API). */
function timeMethods<T extends object>(target: T, methods: Partial<Record<keyof T, 'leaseMs' | 'markMs'>>, clock: PhaseClock): void {
  for (const [method, phase] of Object.entries(methods) as [keyof T & string, 'leaseMs' | 'markMs'][]) {
    const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
    Object.assign(target, {
      [method]: async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await original(...args);
        } finally {
          clock[phase] += performance.now() - started;
          if (phase === 'leaseMs') clock.leases++;
        }
      },
    });
  }
}

function phaseClock(app: INestApplicationContext, destination: Destination): PhaseClock {
  const clock: PhaseClock = { leases: 0, leaseMs: 0, markMs: 0 };
  if (destination === IN_PROCESS_DESTINATION) timeMethods(app.get(OutboxRepository), { leaseDue: 'leaseMs', markDelivered: 'markMs' }, clock);
  else timeMethods(app.get(PublicationRepository), { lease: 'leaseMs', markDelivered: 'markMs' }, clock);
  return clock;
}

// ---------------------------------------------------------------------------------------------
// One measurement: one app, one destination, one batch size

function hostModule(url: string, destination: Destination, batchSize: number, brokers: OutboxBroker[]): DynamicModule {
  @Module({})
  class OutboxPublishBenchModule {}
  return {
    module: OutboxPublishBenchModule,
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url, autoLoadEntities: true, migrations: LITESTRIPE_MIGRATIONS, migrationsRun: true, poolSize: 10 }),
      EventEmitterModule.forRoot(),
      LitestripeModule.forRoot({
        secretKey: 'sk_test_benchoutboxpublish',
        webhookUuid: '00000000-0000-4000-8000-000000000000',
        webhookSecret: 'whsec_benchbenchbenchbenchbenchbenchbench',
        domainEvents: 'durable',
        outbox: { pollIntervalMs: 0, batchSize },
        brokers,
        inProcessEvents: destination === IN_PROCESS_DESTINATION,
      }),
    ],
  };
}

interface Measurement {
  destination: Destination;
  batchSize: number;
  round: number;
  seconds: number;
  entriesPerSecond: number;
  /** dispatchDue() calls until the depth was 0. */
  calls: number;
  /** Listener calls (in-process) or messages stored (brokers) of the timed entries. */
  arrived: number;
  /** Entries delivered with more than one attempt. */
  retried: number;
  cpu: { app: number; postgres: number; broker: number; rest: number; machineBusy: number } | null;
  profile: ProfileTop | null;
  phases: PhaseClock;
}

async function drain(outbox: OutboxService, destination: Destination, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (let calls = 1; ; calls++) {
    await outbox.dispatchDue();
    const { depth, failed } = await outbox.status(destination);
    if (failed > 0) throw new Error(`${failed} entries failed at ${destination}`);
    if (depth === 0) return calls;
    if (performance.now() - started > timeoutMs) throw new Error(`${depth} entries still wait at ${destination} after ${timeoutMs / 1000} s (is the broker up?)`);
  }
}

async function measure(db: Client, url: string, database: string, destination: Destination, batchSize: number, round: number, setup: BrokerSetup, options: Options): Promise<Measurement> {
  await clearOutbox(db);
  await emptyDestination(destination, setup);
  const app: INestApplicationContext = await NestFactory.createApplicationContext(hostModule(url, destination, batchSize, brokerFor(destination, setup, options)), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    let heard = 0;
    const emitter = app.get(EventEmitter2);
    for (const name of EVENT_NAMES) emitter.on(name, () => void heard++);
    const outbox = app.get(OutboxService);
    const tag = `b${round}x${batchSize}${destination.slice(0, 2)}${Date.now().toString(36)}`;

    // Warm-up: the boot pass (the broker's connect), then a first set, untimed.
    await outbox.dispatchDue();
    setup.declared.add(destination);
    await seed(db, entryRows(`${tag}w`, options.warmup), destination);
    await drain(outbox, destination, WARMUP_TIMEOUT_MS);
    await clearOutbox(db);
    await emptyDestination(destination, setup);

    const rows = entryRows(tag, options.entries);
    await seed(db, rows, destination);
    await db.query('VACUUM ANALYZE litestripe_outbox, litestripe_outbox_publication');
    // Every measurement starts with no dirty pages left by the ones before it.
    await db.query('CHECKPOINT').catch(() => undefined);
    heard = 0;
    const phases = phaseClock(app, destination);
    const before = cpuSnapshot(process.pid, database);
    const brokerBefore = brokerTicks();
    const started = performance.now();
    const { result: calls, profile } = await profiled(options.profile, options.entries, () => drain(outbox, destination, DRAIN_TIMEOUT_MS));
    const seconds = (performance.now() - started) / 1000;
    const tally = tallyCpu(null, before, cpuSnapshot(process.pid, database));
    const brokerCpuMs = (brokerTicks() - brokerBefore) * 10;

    const arrived = destination === IN_PROCESS_DESTINATION ? heard : await storedMessages(destination, setup);
    const table = destination === IN_PROCESS_DESTINATION ? 'litestripe_outbox' : 'litestripe_outbox_publication';
    const { rows: [counts] } = await db.query(`SELECT count(*) FILTER (WHERE "attempts" > 1)::int AS retried, count(*) FILTER (WHERE "delivered_at" IS NULL)::int AS undelivered FROM ${table}`);
    if (counts.undelivered > 0) throw new Error(`${counts.undelivered} entries not marked delivered at ${destination}`);
    return { destination, batchSize, round, seconds, entriesPerSecond: options.entries / seconds, calls, arrived, retried: counts.retried, cpu: cpuPerEntry(tally, brokerCpuMs, options.entries), profile, phases };
  } finally {
    await app.close();
  }
}

/** CPU per entry in µs: the app (this process), PostgreSQL, the broker servers, and the rest of the machine's busy CPU. */
function cpuPerEntry(tally: CpuTally | null, brokerCpuMs: number, entries: number): Measurement['cpu'] {
  const use = cpuUse(tally, entries);
  if (!use) return null;
  const broker = (brokerCpuMs * 1000) / entries;
  const app = use.server * 1000;
  const postgres = use.postgres * 1000;
  return { app, postgres, broker, rest: Math.max(0, use.machine * 1000 - app - postgres - broker), machineBusy: use.machineBusy };
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function report(results: Measurement[], options: Options): boolean {
  console.log(
    `\n  batch  destination   entries/s   seconds  calls   CPU per entry, µs: app  postgres  broker  anything else  (machine busy)   round`,
  );
  for (const r of results) {
    const cpu = r.cpu
      ? `${r.cpu.app.toFixed(0).padStart(24)}${r.cpu.postgres.toFixed(0).padStart(10)}${r.cpu.broker.toFixed(0).padStart(8)}${r.cpu.rest.toFixed(0).padStart(15)}  (${(100 * r.cpu.machineBusy).toFixed(0)}%)`.padEnd(70)
      : ''.padEnd(70);
    const noisy = r.cpu !== null && r.cpu.rest > NOISE_SHARE * (r.cpu.app + r.cpu.postgres + r.cpu.broker + r.cpu.rest);
    console.log(`  ${String(r.batchSize).padStart(5)}  ${r.destination.padEnd(12)}${r.entriesPerSecond.toFixed(0).padStart(10)}${r.seconds.toFixed(2).padStart(10)}${String(r.calls).padStart(7)}${cpu}${String(r.round + 1).padStart(6)}${noisy ? '  *' : ''}`);
  }
  if (results.some((r) => r.cpu !== null && r.cpu.rest > NOISE_SHARE * (r.cpu.app + r.cpu.postgres + r.cpu.broker + r.cpu.rest))) {
    console.log(`  * "anything else" (other processes) took over ${100 * NOISE_SHARE}% of the busy CPU during this measurement: the machine was shared, its figure is low`);
  }
  console.log(
    `\n  wall time per batch of outbox.batchSize entries, ms (median of the rounds): the lease statement, the mark statement, and the rest (emitting, or sending and waiting for the confirms)` +
      `\n  batch  destination   lease    mark     rest   total`,
  );
  for (const batchSize of options.batchSizes) {
    for (const destination of DESTINATIONS) {
      const runs = results.filter((r) => r.destination === destination && r.batchSize === batchSize);
      const batches = Math.ceil(options.entries / batchSize);
      const per = (value: (r: Measurement) => number) => median(runs.map(value)).toFixed(2).padStart(8);
      // In-process marks are written by a buffer while the next batch is emitted: they overlap the rest.
      const overlapping = destination === IN_PROCESS_DESTINATION;
      console.log(
        `  ${String(batchSize).padStart(5)}  ${destination.padEnd(12)}${per((r) => r.phases.leaseMs / batches)}${per((r) => r.phases.markMs / batches)}${overlapping ? '*' : ' '}` +
          `${per((r) => (r.seconds * 1000 - r.phases.leaseMs - (overlapping ? 0 : r.phases.markMs)) / batches)}${per((r) => (r.seconds * 1000) / batches)}`,
      );
    }
  }
  console.log('  * in-process, the marks are written by a buffer (200 ids per UPDATE) while the next batch is emitted: that time is also in the rest');
  for (const r of results.filter((m) => m.profile)) {
    const list = (rows: [string, number][]) => rows.map(([name, us]) => `      ${us.toFixed(1).padStart(6)} µs  ${name}`).join('\n');
    console.log(`\n  profile, batch ${r.batchSize}, ${r.destination} (round ${r.round + 1}): app self time per entry, by package\n${list(r.profile!.categories)}\n    top functions\n${list(r.profile!.functions)}`);
  }
  console.log(`\nratios (entries/s against the in-process dispatch at the same batch size${options.rounds > 1 ? `: the median of the ${options.rounds} rounds' ratios, each round's after` : ''})`);
  const rate = (destination: Destination, batchSize: number) => results.filter((r) => r.destination === destination && r.batchSize === batchSize);
  for (const batchSize of options.batchSizes) {
    const baseline = rate(IN_PROCESS_DESTINATION, batchSize);
    const base = median(baseline.map((r) => r.entriesPerSecond));
    const parts = DESTINATIONS.filter((d) => d !== IN_PROCESS_DESTINATION).map((destination) => {
      const runs = rate(destination, batchSize);
      const ratios = runs.map((r, i) => r.entriesPerSecond / baseline[i].entriesPerSecond);
      if (options.rounds === 1) return `${destination} ${ratios[0].toFixed(3)}×`;
      return `${destination} ${median(ratios).toFixed(3)}× (rounds ${ratios.map((ratio) => ratio.toFixed(3)).join(' ')}; ratio of the medians ${(median(runs.map((r) => r.entriesPerSecond)) / base).toFixed(3)}×)`;
    });
    console.log(`  batch ${String(batchSize).padStart(4)}: in-process ${base.toFixed(0)} entries/s${options.rounds > 1 ? ' (median)' : ''} = 1; ${parts.join('; ')}`);
  }
  const largest = Math.max(...options.batchSizes);
  const smallest = Math.min(...options.batchSizes);
  if (largest !== smallest) {
    const gains = DESTINATIONS.map((d) => `${d} ${(median(rate(d, largest).map((r) => r.entriesPerSecond)) / median(rate(d, smallest).map((r) => r.entriesPerSecond))).toFixed(2)}×`);
    console.log(`  batch ${largest} against ${smallest}, same destination: ${gains.join('; ')}`);
  }
  let ok = true;
  const checks = DESTINATIONS.map((destination) => {
    const runs = results.filter((r) => r.destination === destination);
    const arrived = runs.reduce((sum, r) => sum + r.arrived, 0);
    const retried = runs.reduce((sum, r) => sum + r.retried, 0);
    const expected = runs.length * options.entries;
    if (arrived !== expected || retried > 0) ok = false;
    const what = destination === IN_PROCESS_DESTINATION ? 'listener calls' : destination === 'rabbitmq' ? 'messages in the queue' : 'messages in the stream';
    return `${destination} ${arrived} ${what} of ${expected}, ${retried} retried`;
  });
  console.log(`\nchecks: ${checks.join('; ')}${ok ? '' : '  (FAILED)'}`);
  return ok;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const database = `litestripe_bench_outbox_publish_${process.pid}`;
  const url = await createDatabase(options.serverUrl, database);
  const db = new Client({ connectionString: url });
  let setup: BrokerSetup | null = null;
  let ok = false;
  try {
    await db.connect();
    setup = await openBrokers(options);
    const postgresVersion = (await db.query('SHOW server_version')).rows[0].server_version as string;
    const rabbitVersion = String(setup.amqp.connection.serverProperties.version ?? '?');
    const sample = entryRows('sample', 3).payloads.map((payload) => Buffer.byteLength(payload));
    console.log(
      `outbox-publish: ${options.entries} entries per measurement (after ${options.warmup} untimed), payloads of ${Math.min(...sample)}-${Math.max(...sample)} bytes, batch sizes ${options.batchSizes.join(', ')}, ${options.rounds} round(s)${options.natsAsyncTraces ? ', NATS async traces' : ''}${options.profile ? ', profiled' : ''}; ${machineLine()}; ` +
        `PostgreSQL ${postgresVersion}, RabbitMQ ${rabbitVersion}, NATS ${setup.nats.info?.version ?? '?'}`,
    );
    const busy = await backgroundLoad();
    console.log(`machine before the run: ${busy === null ? '?' : `${(100 * busy).toFixed(0)}% busy over 1 s`}`);

    const results: Measurement[] = [];
    // The app's first boot also runs the migrations: do it once before anything is timed.
    await NestFactory.createApplicationContext(hostModule(url, IN_PROCESS_DESTINATION, 100, []), { logger: ['error', 'warn'], abortOnError: false }).then((app) => app.close());
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, batchSize] of options.batchSizes.entries()) {
        const order = (round + i) % 2 === 0 ? DESTINATIONS : [...DESTINATIONS].reverse();
        for (const destination of order) {
          const result = await measure(db, url, database, destination, batchSize, round, setup, options);
          process.stderr.write(`  round ${round + 1}, batch ${batchSize}, ${destination}: ${result.entriesPerSecond.toFixed(0)} entries/s\n`);
          results.push(result);
        }
      }
    }
    ok = report(results, options);
  } finally {
    const deleted = setup ? await closeBrokers(setup) : '';
    await db.end().catch(() => undefined);
    await dropDatabase(options.serverUrl, database);
    console.log(`cleanup: database ${database} dropped, ${deleted || 'no broker objects'} deleted; run took ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (!ok) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
