import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../test/support/free-port';
import { withClient } from '../test/support/postgres-databases';
import { BenchAdapter, benchAdapter, DispatchReport, wallClockMs } from './bench-adapter';
import { readFlags } from './bench-flags';
import type { QueryCountReport } from './count-queries';
import type { ProfileSummary } from './cpu-profile';
import { machineLine } from './machine-line';
import { EventPlan, planEvents, SignedBody, signAll } from './webhook-events';
import {
  backgroundLoad,
  cleanup,
  countRows,
  cpuSnapshot,
  CpuTally,
  CpuUse,
  cpuUse,
  createTrackedDatabase,
  dropTrackedDatabase,
  expectation,
  ipc,
  percentile,
  printProfile,
  runPhase,
  ServerProcess,
  startServer,
  stopServer,
  tallyCpu,
  waitForServer,
  addPhase,
  PhaseTally,
} from './webhook-harness';

/**
 * bench/webhook-ingest: what deferred webhook processing (`webhookProcessing: 'deferred'`) costs
 * and how fast its inbox is applied. Four servers on the same HTTP adapter (`--adapter`), each in
 * its own process on a fresh database, get the same signed deliveries in alternating rounds
 * (the orders of a Williams square, so each side runs first, and after each other side, equally
 * often), at a fixed concurrency over keep-alive:
 *
 *   floor     bench/baseline-server.ts: bare node:http, verify, one INSERT ... ON CONFLICT
 *   nest      bench/nest-baseline-server.ts: the same in one Nest controller (rawBody, same adapter)
 *   deferred  bench/module-host.ts, webhookProcessing 'deferred': verify, one inbox INSERT, answer;
 *             the applier drains the inbox in the same process
 *   inline    bench/module-host.ts, webhookProcessing 'inline': one transaction per event
 *
 * After each deferred slice the bench waits until the inbox is empty (timed, and its CPU counted
 * apart), so no side's slice runs beside another's leftovers. Then, on the deferred side alone:
 * - burst: `--burst` deliveries as fast as it takes them (closed loop, same concurrency); the time
 *   the ingest took, the time until every event was applied (pending count polled every
 *   `--poll-ms`), the applied events/s, and the largest depth seen;
 * - sustained: `--sustain-seconds` of deliveries sent open loop at a fixed rate (default half the
 *   deferred events/s of the rounds): the depth over time, and the time from each event's 2xx
 *   until its first domain event was dispatched on the host's EventEmitter2 (bench/module-host.ts
 *   records it on request over IPC).
 *
 *   npm run bench:ingest -- [--adapter express|fastify] [--events 8000] [--rounds 8] [--concurrency 32]
 *     [--burst 10000] [--sustain-seconds 10] [--sustain-rate R] [--inbox '{"batchSize":100}']
 *     [--count-queries] [--profile] [--seed 1]
 */

type SideName = 'floor' | 'nest' | 'deferred' | 'inline' | 'ingest-alone';

/**
 * The orders of the rounds, a Williams design over n sides: the cyclic shifts of 0, 1, n-1, 2, n-2...
 * (for an odd n, each followed by its reverse). Each side runs first, and right after each other
 * side, equally often over every full cycle of the orders (4 rounds for 4 sides, 10 for 5).
 */
function williamsOrders(n: number): number[][] {
  const base = [0];
  for (let i = 1, lo = 1, hi = n - 1; i < n; i++) base.push(i % 2 ? lo++ : hi--);
  const rows = Array.from({ length: n }, (_, shift) => base.map((i) => (i + shift) % n));
  return n % 2 ? rows.flatMap((row) => [row, [...row].reverse()]) : rows;
}

const TARGETS = { deferredVsNest: 0.95, p99VsNest: 1.2, burstApplyVsIngest: 2, dispatchP99Ms: 100, inlineVsFloor: 0.6 } as const;

interface Options {
  adapter: BenchAdapter;
  events: number;
  concurrency: number;
  subscriptions: number;
  warmup: number;
  rounds: number;
  duplicates: number;
  burst: number;
  sustainSeconds: number;
  sustainRate: number | null;
  pollMs: number;
  settleMs: number;
  inbox: string;
  pauseApplier: boolean;
  countQueries: boolean;
  profile: boolean;
  seed: number;
  serverUrl: string;
}

function parseOptions(argv: string[]): Options {
  const flags = readFlags(
    argv,
    ['adapter', 'events', 'concurrency', 'subscriptions', 'warmup', 'rounds', 'duplicates', 'burst', 'sustain-seconds', 'sustain-rate', 'poll-ms', 'settle-ms', 'inbox', 'seed', 'database-url'],
    ['pause-applier', 'count-queries', 'profile', 'help'],
  );
  if (flags.has('help')) {
    console.log(
      'Options (flag, or env): --adapter express|fastify (BENCH_ADAPTER, express), --events N (BENCH_EVENTS, 8000), --rounds R (BENCH_ROUNDS, 8), ' +
        '--concurrency C (BENCH_CONCURRENCY, 32), --subscriptions S (BENCH_SUBSCRIPTIONS, 400), --warmup W (BENCH_WARMUP, 400), --duplicates R (BENCH_DUPLICATES, 0.1), ' +
        '--burst N (BENCH_BURST, 10000; 0 skips), --sustain-seconds S (BENCH_SUSTAIN_SECONDS, 10; 0 skips), --sustain-rate events/s (default: half the deferred events/s of the rounds), ' +
        '--poll-ms M (inbox depth polling, 50), --settle-ms M (pause between signing the sustained phase\'s deliveries and sending them, 1000), --inbox JSON (BENCH_INBOX: the deferred side\'s `inbox` option), ' +
        '--pause-applier (a fifth side: deferred with its applier paused while it answers, then drained alone), --count-queries, --profile (probes in every server, rounds only), --seed N (BENCH_SEED, 1), --database-url URL (BENCH_DATABASE_URL)',
    );
    process.exit(0);
  }
  const int = (flag: string, env: string, fallback: number, min: number) => flags.wholeNumber(flag, fallback, min, env);
  const duplicates = Number(flags.text('duplicates', '0.1', 'BENCH_DUPLICATES'));
  if (!(duplicates >= 0 && duplicates < 0.5)) throw new Error('--duplicates must be a ratio in [0, 0.5)');
  const sustainRate = flags.text('sustain-rate', '');
  if (sustainRate && !(Number(sustainRate) > 0)) throw new Error('--sustain-rate must be a positive number of events/s');
  const inbox = flags.text('inbox', '', 'BENCH_INBOX');
  if (inbox) JSON.parse(inbox);
  return {
    adapter: benchAdapter(flags.text('adapter', 'express', 'BENCH_ADAPTER')),
    events: int('events', 'BENCH_EVENTS', 8000, 1),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 32, 1),
    subscriptions: int('subscriptions', 'BENCH_SUBSCRIPTIONS', 400, 1),
    warmup: int('warmup', 'BENCH_WARMUP', 400, 0),
    rounds: int('rounds', 'BENCH_ROUNDS', 8, 1),
    duplicates,
    burst: int('burst', 'BENCH_BURST', 10_000, 0),
    sustainSeconds: int('sustain-seconds', 'BENCH_SUSTAIN_SECONDS', 10, 0),
    sustainRate: sustainRate ? Number(sustainRate) : null,
    pollMs: int('poll-ms', 'BENCH_POLL_MS', 50, 5),
    settleMs: int('settle-ms', 'BENCH_SETTLE_MS', 1000, 0),
    inbox,
    pauseApplier: flags.has('pause-applier'),
    countQueries: flags.has('count-queries') || process.env.BENCH_COUNT_QUERIES === '1',
    profile: flags.has('profile') || process.env.BENCH_PROFILE === '1',
    seed: int('seed', 'BENCH_SEED', 1, 0),
    serverUrl: flags.serverUrl(),
  };
}

// ---------------------------------------------------------------------------------------------
// Sides

interface Side {
  name: SideName;
  label: string;
  script: string;
  env: Record<string, string>;
  database: string;
  /** Deferred, with the applier paused during each slice (diagnostic: the ingest alone, then the apply alone). */
  pauseApplier?: boolean;
}

interface RunningSide extends PhaseTally {
  side: Side;
  url: string;
  port: number;
  path: string;
  server: ServerProcess;
  agent: Agent;
  cpu: CpuTally | null;
  /** Deferred only: the waits for an empty inbox after each slice. */
  drainSeconds: number;
  drainCpu: CpuTally | null;
  /** Deferred only: a connection to its database, to poll the inbox. */
  db: Client | null;
}

async function startSide(side: Side, options: Options, secret: string): Promise<RunningSide> {
  const url = await createTrackedDatabase(options.serverUrl, side.database);
  const port = await freePort();
  const uuid = randomUUID();
  const path = `/ls/hook/${uuid}`;
  const preloads = [...(options.countQueries ? [join(__dirname, 'count-queries.js')] : []), ...(options.profile ? [join(__dirname, 'cpu-profile.js')] : [])];
  const profileDir = join(__dirname, '..', 'profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const env = {
    PORT: String(port),
    DATABASE_URL: url,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: secret,
    STRIPE_WEBHOOK_UUID: uuid,
    LITESTRIPE_SANDBOX: '0',
    DEMO_QUIET: '1',
    BENCH_ADAPTER: options.adapter,
    BENCH_PROFILE_FILE: join(profileDir, `ingest-${side.name}-${options.adapter}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`),
    ...side.env,
  };
  const server = startServer(side.script, env, preloads);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const state: RunningSide = {
    side, url, port, path, server, agent, latencies: [], seconds: 0, roundRates: [], errors: 0, errorSamples: [], outcomes: {}, cpu: null, drainSeconds: 0, drainCpu: null, db: null,
  };
  const booting = Date.now();
  await waitForServer(server, port, path, side.label);
  if (side.name === 'deferred' || side.name === 'ingest-alone') {
    state.db = new Client({ connectionString: url });
    await state.db.connect();
  }
  process.stderr.write(`  ${side.label}: up in ${((Date.now() - booting) / 1000).toFixed(1)} s\n`);
  return state;
}

async function pendingCount(db: Client): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM litestripe_event WHERE "outcome" = 'pending'`);
  return rows[0].n;
}

/** Polls the inbox until it is empty; returns the wall-clock ms when it was first seen empty. */
async function waitForEmptyInbox(db: Client, pollMs: number, timeoutMs: number, onSample?: (depth: number, at: number) => void): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const depth = await pendingCount(db);
    const at = wallClockMs();
    onSample?.(depth, at);
    if (depth === 0) return at;
    if (Date.now() > deadline) throw new Error(`the inbox still holds ${depth} events after ${timeoutMs / 1000} s`);
    await sleep(pollMs);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Posts deliveries to one side; for the deferred side, then waits until its inbox is empty (counted apart). */
async function runSlice(state: RunningSide, bodies: SignedBody[], options: Options): Promise<void> {
  const pid = state.server.child.pid!;
  if (state.side.pauseApplier) await ipc(state.server.child, 'applier-pause', 'applier-paused', 30_000);
  const before = cpuSnapshot(pid, state.side.database);
  const result = await runPhase(state.agent, state.port, state.path, bodies, options.concurrency);
  const after = cpuSnapshot(pid, state.side.database);
  if (state.side.pauseApplier) await ipc(state.server.child, 'applier-resume', 'applier-resumed');
  state.cpu = tallyCpu(state.cpu, before, after);
  addPhase(state, result);
  if (state.db) {
    const start = wallClockMs();
    await waitForEmptyInbox(state.db, 10, 120_000);
    state.drainSeconds += (wallClockMs() - start) / 1000;
    state.drainCpu = tallyCpu(state.drainCpu, after, cpuSnapshot(pid, state.side.database));
  }
}

interface SideResult {
  name: SideName;
  label: string;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
  roundRates: number[];
  cpu: CpuUse | null;
  /** Deferred: answering and applying (the waits for an empty inbox included). */
  cpuWithDrain: CpuUse | null;
  drainSeconds: number;
  queries: QueryCountReport | null;
  profile: ProfileSummary | null;
}

async function sideResult(state: RunningSide, options: Options): Promise<SideResult> {
  const queries = options.countQueries ? await ipc<QueryCountReport>(state.server.child, 'report', 'query-counts') : null;
  const profile = options.profile ? await ipc<ProfileSummary>(state.server.child, 'profile-stop', 'profile-summary', 30_000) : null;
  const sorted = Float64Array.from(state.latencies).sort();
  let withDrain: CpuTally | null = null;
  if (state.cpu && state.drainCpu) {
    withDrain = { ticks: new Map(state.cpu.ticks), machineBusy: state.cpu.machineBusy + state.drainCpu.machineBusy, machineSteal: state.cpu.machineSteal + state.drainCpu.machineSteal, machineTotal: state.cpu.machineTotal + state.drainCpu.machineTotal };
    for (const [key, n] of state.drainCpu.ticks) withDrain.ticks.set(key, (withDrain.ticks.get(key) ?? 0) + n);
  }
  return {
    name: state.side.name,
    label: state.side.label,
    eventsPerSecond: state.latencies.length / state.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: state.errors,
    errorSamples: state.errorSamples,
    outcomes: state.outcomes,
    roundRates: state.roundRates,
    cpu: cpuUse(state.cpu, state.latencies.length),
    cpuWithDrain: cpuUse(withDrain, state.latencies.length),
    drainSeconds: state.drainSeconds,
    queries,
    profile,
  };
}

async function stopSide(state: RunningSide, serverUrl: string): Promise<void> {
  state.agent.destroy();
  await state.db?.end().catch(() => undefined);
  await stopServer(state.server);
  await dropTrackedDatabase(serverUrl, state.side.database);
}

// ---------------------------------------------------------------------------------------------
// Burst and sustained phases (deferred side)

interface BurstResult {
  deliveries: number;
  uniqueEvents: number;
  ingestSeconds: number;
  /** From the first send until the inbox was seen empty. */
  appliedSeconds: number;
  maxDepth: number;
  depthAtIngestEnd: number;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
  p50: number;
  p99: number;
  cpu: CpuUse | null;
}

async function runBurst(state: RunningSide, plan: EventPlan, secret: string, options: Options): Promise<BurstResult> {
  const db = state.db!;
  await waitForEmptyInbox(db, options.pollMs, 120_000);
  const bodies = await signAll(plan.deliveries, secret);
  const pid = state.server.child.pid!;
  let maxDepth = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      maxDepth = Math.max(maxDepth, await pendingCount(db));
      await sleep(options.pollMs);
    }
  })();
  const before = cpuSnapshot(pid, state.side.database);
  const start = wallClockMs();
  const result = await runPhase(state.agent, state.port, state.path, bodies, options.concurrency);
  const ingestEnd = wallClockMs();
  polling = false;
  await poller;
  const depthAtIngestEnd = await pendingCount(db);
  maxDepth = Math.max(maxDepth, depthAtIngestEnd);
  const applied = await waitForEmptyInbox(db, options.pollMs, 300_000, (depth) => (maxDepth = Math.max(maxDepth, depth)));
  const after = cpuSnapshot(pid, state.side.database);
  const sorted = Float64Array.from(result.latenciesMs).sort();
  return {
    deliveries: bodies.length,
    uniqueEvents: plan.uniqueEvents,
    ingestSeconds: (ingestEnd - start) / 1000,
    appliedSeconds: (applied - start) / 1000,
    maxDepth,
    depthAtIngestEnd,
    errors: result.errors,
    errorSamples: result.errorSamples,
    outcomes: result.outcomes,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpu: cpuUse(tallyCpu(null, before, after), bodies.length),
  };
}

interface SustainedResult {
  rate: number;
  achievedRate: number;
  deliveries: number;
  uniqueEvents: number;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
  p50: number;
  p99: number;
  /** Depth samples every --poll-ms while sending: [ms since start, depth]. */
  depths: [number, number][];
  depthAfterSends: number;
  /** p99 of the ingest → dispatched latency of the events ingested in each second of the phase. */
  dispatchP99BySecond: number[];
  /** Ingest (2xx received) to first domain event dispatched, ms, over the events that have one. */
  dispatch: { n: number; p50: number; p90: number; p99: number; max: number };
  /** Send to first domain event dispatched, ms. */
  sendToDispatch: { p50: number; p99: number };
  /** PostgreSQL's own view: received_at (insert) to processed_at (the applying transaction's start), ms. */
  inDatabase: { p50: number; p99: number; max: number } | null;
  domainEvents: number;
  cpu: CpuUse | null;
  /** How far behind its schedule each send left (the load generator's own stalls), ms: p99 and max. */
  pacingLag: { p99: number; max: number };
  /** Autovacuum and autoanalyze runs on the module's tables during the phase: [table, what, seconds after its start]. */
  maintenance: [string, string, number][];
}

/** Sends `bodies` open loop, one every 1000/rate ms, whatever the answers; records send and answer times. */
async function sendPaced(port: number, path: string, bodies: SignedBody[], rate: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const sent = new Float64Array(bodies.length);
  const answered = new Float64Array(bodies.length);
  const status = new Int32Array(bodies.length);
  const outcome: string[] = new Array(bodies.length);
  const errorSamples: string[] = [];
  const pending: Promise<void>[] = [];
  const start = wallClockMs();
  let next = 0;
  while (next < bodies.length) {
    const due = Math.min(bodies.length, Math.floor(((wallClockMs() - start) * rate) / 1000) + 1);
    for (; next < due; next++) {
      const i = next;
      sent[i] = wallClockMs();
      pending.push(
        new Promise<void>((resolve) => {
          const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: bodies[i].headers }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => {
              answered[i] = wallClockMs();
              status[i] = res.statusCode ?? 0;
              outcome[i] = /"outcome"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? 'unknown';
              if ((status[i] < 200 || status[i] >= 300) && errorSamples.length < 5) errorSamples.push(`${status[i]} ${body.slice(0, 200)}`);
              resolve();
            });
          });
          req.on('error', (error) => {
            answered[i] = wallClockMs();
            status[i] = 0;
            if (errorSamples.length < 5) errorSamples.push(error.message);
            resolve();
          });
          req.end(bodies[i].body);
        }),
      );
    }
    await sleep(1);
  }
  const lastSend = wallClockMs();
  await Promise.all(pending);
  agent.destroy();
  return { start, lastSend, sent, answered, status, outcome, errorSamples };
}

async function runSustained(state: RunningSide, plan: EventPlan, secret: string, rate: number, options: Options): Promise<SustainedResult> {
  const db = state.db!;
  await waitForEmptyInbox(db, options.pollMs, 120_000);
  const bodies = await signAll(plan.deliveries, secret);
  await sleep(options.settleMs); // let the load generator collect what the signing left behind before the clock starts
  const pid = state.server.child.pid!;
  await ipc(state.server.child, 'dispatch-start', 'dispatch-started');
  const pgStart = (await db.query('SELECT now() AS t')).rows[0].t as Date;
  const depths: [number, number][] = [];
  let polling = true;
  let t0 = wallClockMs();
  const poller = (async () => {
    while (polling) {
      const depth = await pendingCount(db);
      depths.push([wallClockMs() - t0, depth]);
      await sleep(options.pollMs);
    }
  })();
  const before = cpuSnapshot(pid, state.side.database);
  t0 = wallClockMs();
  const sends = await sendPaced(state.port, state.path, bodies, rate);
  polling = false;
  await poller;
  const depthAfterSends = await pendingCount(db);
  await waitForEmptyInbox(db, options.pollMs, 120_000);
  const after = cpuSnapshot(pid, state.side.database);
  await sleep(500); // domain events go out right after the batch commits; leave them time to
  const report = await ipc<DispatchReport>(state.server.child, 'dispatch-report', 'dispatch-times', 30_000);
  const dispatched = new Map(report.times);

  // Each event's ingest: the first delivery of it that was answered 2xx (queued).
  const ingested = new Map<string, { sent: number; answered: number }>();
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const latencies: number[] = [];
  plan.deliveries.forEach((delivery, i) => {
    const ok = sends.status[i] >= 200 && sends.status[i] < 300;
    if (!ok) errors += 1;
    else outcomes[sends.outcome[i]] = (outcomes[sends.outcome[i]] ?? 0) + 1;
    latencies.push(sends.answered[i] - sends.sent[i]);
    if (ok && sends.outcome[i] === 'queued' && !ingested.has(delivery.event.id)) ingested.set(delivery.event.id, { sent: sends.sent[i], answered: sends.answered[i] });
  });
  const fromAnswer: number[] = [];
  const fromSend: number[] = [];
  const bySecond: number[][] = [];
  for (const [id, times] of ingested) {
    const at = dispatched.get(id);
    if (at === undefined) continue;
    fromAnswer.push(at - times.answered);
    fromSend.push(at - times.sent);
    (bySecond[Math.floor((times.sent - sends.start) / 1000)] ??= []).push(at - times.answered);
  }
  const sortedAnswer = Float64Array.from(fromAnswer).sort();
  const sortedSend = Float64Array.from(fromSend).sort();
  const sortedHttp = Float64Array.from(latencies).sort();
  const lag = Float64Array.from(sends.sent, (at, i) => at - (sends.start + (i * 1000) / rate)).sort();
  const { rows } = await db.query(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
     FROM (SELECT extract(epoch FROM "processed_at" - "received_at") * 1000 AS ms FROM litestripe_event WHERE "id" = ANY($1::text[]) AND "processed_at" IS NOT NULL) AS t`,
    [[...ingested.keys()]],
  );
  const { rows: tables } = await db.query(
    `SELECT relname, last_autovacuum, last_autoanalyze FROM pg_stat_user_tables WHERE relname LIKE 'litestripe%' AND greatest(last_autovacuum, last_autoanalyze) >= $1`,
    [pgStart],
  );
  const maintenance: [string, string, number][] = [];
  for (const table of tables) {
    for (const [what, at] of [['autovacuum', table.last_autovacuum], ['autoanalyze', table.last_autoanalyze]] as const) {
      if (at instanceof Date && at >= pgStart) maintenance.push([table.relname as string, what, (at.getTime() - pgStart.getTime()) / 1000]);
    }
  }
  const inDatabase = rows[0]?.p50 === null || rows[0]?.p50 === undefined ? null : { p50: Number(rows[0].p50), p99: Number(rows[0].p99), max: Number(rows[0].max) };
  return {
    rate,
    achievedRate: bodies.length / ((sends.lastSend - sends.start) / 1000),
    deliveries: bodies.length,
    uniqueEvents: plan.uniqueEvents,
    errors,
    errorSamples: sends.errorSamples,
    outcomes,
    p50: percentile(sortedHttp, 50),
    p99: percentile(sortedHttp, 99),
    depths,
    depthAfterSends,
    dispatchP99BySecond: Array.from(bySecond, (values) => (values ? percentile(Float64Array.from(values).sort(), 99) : NaN)),
    dispatch: { n: fromAnswer.length, p50: percentile(sortedAnswer, 50), p90: percentile(sortedAnswer, 90), p99: percentile(sortedAnswer, 99), max: sortedAnswer[sortedAnswer.length - 1] ?? NaN },
    sendToDispatch: { p50: percentile(sortedSend, 50), p99: percentile(sortedSend, 99) },
    inDatabase,
    domainEvents: report.domainEvents,
    cpu: cpuUse(tallyCpu(null, before, after), bodies.length),
    maintenance: maintenance.sort((a, b) => a[2] - b[2]),
    pacingLag: { p99: percentile(lag, 99), max: lag[lag.length - 1] ?? NaN },
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Transaction shapes, with the applier's batch transactions (more than 12 statements, a different
 * shape for each batch) folded into one line: the statements of the batch, each with its total over
 * all the batches, in the order they first came.
 */
function summariseTransactions(transactions: [string, number][]): [string, number][] {
  const short: [string, number][] = [];
  const batches = new Map<string, { count: number; statements: number; middle: Map<string, number> }>();
  for (const [shape, n] of transactions) {
    const colon = shape.indexOf(': ');
    const steps = shape.slice(colon + 2).split(' > ');
    if (steps.length <= 12) {
      short.push([shape, n]);
      continue;
    }
    const head = steps.slice(0, 3);
    const tail = steps.slice(-3);
    const key = `${shape.slice(0, colon)}: ${head.join(' > ')} > … > ${tail.join(' > ')}`;
    const batch = batches.get(key) ?? { count: 0, statements: 0, middle: new Map<string, number>() };
    batch.count += n;
    batch.statements += n * steps.length;
    for (const step of steps.slice(3, -3)) batch.middle.set(step, (batch.middle.get(step) ?? 0) + n);
    batches.set(key, batch);
  }
  for (const [key, batch] of batches) {
    const middle = [...batch.middle].map(([step, n]) => `${step} ×${n}`).join(', ');
    short.push([`${key.replace(' … ', ` [${middle}] `)} (batches; ${(batch.statements / batch.count).toFixed(1)} statements each on average)`, batch.count]);
  }
  return short.sort((a, b) => b[1] - a[1]);
}

function cpuLine(cpu: CpuUse): string {
  const rest = Math.max(0, cpu.machine - cpu.server - cpu.postgres - cpu.loadgen);
  return (
    `server ${fixed(cpu.server)} ms (${fixed(cpu.serverSystem)} in the kernel), postgres ${fixed(cpu.postgres)} ms, load generator ${fixed(cpu.loadgen)} ms, ` +
    `anything else ${fixed(rest)} ms${cpu.postgresOther >= 0.005 ? ` (of which PostgreSQL for other databases ${fixed(cpu.postgresOther)})` : ''}; ` +
    `machine ${(cpu.machineBusy * 100).toFixed(0)}% busy${cpu.machineSteal >= 0.005 ? `, ${(cpu.machineSteal * 100).toFixed(0)}% stolen` : ''}`
  );
}

/** "Anything else" above 15% of the machine's busy CPU: someone else's load. */
function disturbed(cpu: CpuUse | null): boolean {
  return !!cpu && cpu.machine > 0 && (cpu.machine - cpu.server - cpu.postgres - cpu.loadgen) / cpu.machine > 0.15;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const measured = planEvents({ deliveries: options.events, subscriptions: options.subscriptions, duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed });
  const scaled = (n: number) => Math.max(1, Math.round((options.subscriptions * n) / options.events));
  const warmup = planEvents({ deliveries: options.warmup, subscriptions: scaled(options.warmup), duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed + 1 });
  const burst = options.burst > 0 ? planEvents({ deliveries: options.burst, subscriptions: scaled(options.burst), duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed + 2 }) : null;

  console.log(`webhook-ingest: ${machineLine()}`);
  console.log(
    `  adapter ${options.adapter}; ${options.events} deliveries (${measured.duplicates} duplicates) over ${options.subscriptions} subscriptions after ${options.warmup} warm-up, ` +
      `in ${options.rounds} rounds (Williams design of the ${options.pauseApplier ? 5 : 4} sides), concurrency ${options.concurrency}, keep-alive` +
      `${options.inbox ? `; deferred inbox ${options.inbox}` : ''}${options.countQueries ? '; counting queries' : ''}${options.profile ? '; profiling' : ''}`,
  );
  console.log(`  mix: ${Object.entries(measured.byType).map(([type, n]) => `${type} ${n}`).join(', ')}`);
  const background = await backgroundLoad();
  if (background !== null) console.log(`  machine busy in the second before the run: ${(background * 100).toFixed(0)}%`);

  const suffix = `${process.pid}`;
  const hostScript = join(__dirname, 'module-host.js');
  const sides: Side[] = [
    { name: 'floor', label: 'floor (bare node:http + pg)', script: join(__dirname, 'baseline-server.js'), env: {}, database: `litestripe_ingest_floor_${suffix}` },
    { name: 'nest', label: `nest baseline (${options.adapter})`, script: join(__dirname, 'nest-baseline-server.js'), env: {}, database: `litestripe_ingest_nest_${suffix}` },
    {
      name: 'deferred',
      label: `module deferred (${options.adapter})`,
      script: hostScript,
      env: { BENCH_WEBHOOK_PROCESSING: 'deferred', BENCH_INBOX: options.inbox },
      database: `litestripe_ingest_deferred_${suffix}`,
    },
    { name: 'inline', label: `module inline (${options.adapter})`, script: hostScript, env: { BENCH_WEBHOOK_PROCESSING: 'inline' }, database: `litestripe_ingest_inline_${suffix}` },
  ];
  if (options.pauseApplier) {
    sides.push({
      name: 'ingest-alone',
      label: `deferred, applier paused (${options.adapter})`,
      script: hostScript,
      env: { BENCH_WEBHOOK_PROCESSING: 'deferred', BENCH_INBOX: options.inbox },
      database: `litestripe_ingest_paused_${suffix}`,
      pauseApplier: true,
    });
  }
  const orders = williamsOrders(sides.length);

  // One secret for all four sides: the bodies are signed once and posted to each.
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  const states: RunningSide[] = [];
  const results = new Map<SideName, SideResult>();
  let burstResult: BurstResult | null = null;
  let sustained: SustainedResult | null = null;
  let sustainedPlan: EventPlan | null = null;
  const checks = new Map<SideName, string>();
  try {
    for (const side of sides) states.push(await startSide(side, options, secret));
    const byName = new Map(states.map((state) => [state.side.name, state]));
    process.stderr.write(`  signing ${warmup.deliveries.length + measured.deliveries.length} deliveries\n`);
    const warmupBodies = await signAll(warmup.deliveries, secret);
    const bodies = await signAll(measured.deliveries, secret);
    for (const state of states) {
      const warm = await runPhase(state.agent, state.port, state.path, warmupBodies, options.concurrency);
      if (warm.errors) process.stderr.write(`  ${state.side.label}: ${warm.errors} errors during warm-up, e.g. ${warm.errorSamples[0]}\n`);
      if (state.db) await waitForEmptyInbox(state.db, 10, 120_000);
    }
    for (const state of states) {
      if (options.countQueries) await ipc(state.server.child, 'reset', 'query-counts-reset');
      if (options.profile) await ipc(state.server.child, 'profile-start', 'profile-started');
    }
    const rounds = Math.min(options.rounds, options.events);
    for (let round = 0; round < rounds; round++) {
      const from = Math.floor((round * options.events) / rounds);
      const to = Math.floor(((round + 1) * options.events) / rounds);
      for (const index of orders[round % orders.length]) await runSlice(states[index], bodies.slice(from, to), options);
      process.stderr.write(`  round ${round + 1}/${rounds} done\n`);
    }
    for (const state of states) results.set(state.side.name, await sideResult(state, options));

    const deferred = byName.get('deferred')!;
    if (burst) {
      process.stderr.write(`  burst: ${burst.deliveries.length} deliveries to the deferred side\n`);
      burstResult = await runBurst(deferred, burst, secret, options);
    }
    if (options.sustainSeconds > 0) {
      const rate = options.sustainRate ?? results.get('deferred')!.eventsPerSecond / 2;
      const n = Math.max(1, Math.round(rate * options.sustainSeconds));
      sustainedPlan = planEvents({ deliveries: n, subscriptions: scaled(n), duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed + 3 });
      process.stderr.write(`  sustained: ${n} deliveries at ${rate.toFixed(0)}/s to the deferred side\n`);
      sustained = await runSustained(deferred, sustainedPlan, secret, rate, options);
    }

    const expected = measured.uniqueEvents + warmup.uniqueEvents;
    const expectedSubscriptions = measured.subscriptions + warmup.subscriptions;
    for (const state of states) {
      const check = await withClient(state.url, async (db) => {
        if (state.side.name === 'floor' || state.side.name === 'nest') return expectation('bench_event', await countRows(db, 'bench_event'), expected);
        const extraEvents = state.side.name === 'deferred' ? (burst?.uniqueEvents ?? 0) + (sustained?.uniqueEvents ?? 0) : 0;
        const extraSubscriptions = state.side.name === 'deferred' ? (burst?.subscriptions ?? 0) + (sustainedPlan?.subscriptions ?? 0) : 0;
        const { rows } = await db.query(`SELECT "outcome", count(*)::int AS n FROM litestripe_event GROUP BY 1 ORDER BY 2 DESC`);
        return [
          expectation('litestripe_event', await countRows(db, 'litestripe_event'), expected + extraEvents),
          expectation('litestripe_subscription', await countRows(db, 'litestripe_subscription'), expectedSubscriptions + extraSubscriptions),
          `by outcome: ${rows.map((row) => `${row.outcome} ${row.n}`).join(', ')}`,
          `orphans ${await countRows(db, 'litestripe_orphaned_payment')}`,
        ].join(', ');
      }).catch((error) => `check failed: ${error instanceof Error ? error.message : error}`);
      checks.set(state.side.name, check);
    }
  } finally {
    for (const state of states) await stopSide(state, options.serverUrl);
  }

  // --- Rounds
  const floor = results.get('floor')!;
  const nest = results.get('nest')!;
  const deferred = results.get('deferred')!;
  const inline = results.get('inline')!;
  const alone = results.get('ingest-alone');
  const all = [floor, nest, deferred, inline, ...(alone ? [alone] : [])];
  console.log('');
  console.log(
    table(
      ['side', 'events/s', 'p50 ms', 'p99 ms', 'x floor', 'errors'],
      all.map((r) => [r.label, r.eventsPerSecond.toFixed(0), fixed(r.p50), fixed(r.p99), `${fixed(r.eventsPerSecond / floor.eventsPerSecond)}×`, String(r.errors)]),
    ),
  );
  const perRound = (a: SideResult, b: SideResult) => a.roundRates.map((rate, i) => rate / b.roundRates[i]);
  const ratioLine = (label: string, a: SideResult, b: SideResult, target?: number) => {
    const rounds = perRound(a, b);
    const aggregate = a.eventsPerSecond / b.eventsPerSecond;
    console.log(
      `  ${label.padEnd(18)} ${fixed(aggregate)}× (median of rounds ${fixed(median(rounds))}×; rounds ${rounds.map((r) => fixed(r)).join(', ')})` +
        `${target !== undefined ? `  target ≥ ${target}×: ${verdict(aggregate >= target)}` : ''}`,
    );
  };
  console.log('throughput ratios (aggregate over the rounds):');
  ratioLine('deferred / nest', deferred, nest, TARGETS.deferredVsNest);
  ratioLine('deferred / floor', deferred, floor);
  ratioLine('nest / floor', nest, floor);
  ratioLine('inline / floor', inline, floor, TARGETS.inlineVsFloor);
  ratioLine('inline / nest', inline, nest);
  if (alone) {
    ratioLine('ingest alone / nest', alone, nest);
    ratioLine('deferred / ingest alone', deferred, alone);
  }
  const p99Ratio = deferred.p99 / nest.p99;
  console.log(`  p99 deferred / nest: ${fixed(p99Ratio)}× (p50 ${fixed(deferred.p50 / nest.p50)}×)  target ≤ ${TARGETS.p99VsNest}×: ${verdict(p99Ratio <= TARGETS.p99VsNest)}`);
  console.log('');
  for (const r of all) {
    console.log(`${r.label}: outcomes ${Object.entries(r.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; db ${checks.get(r.name)}`);
    if (r.cpu) {
      console.log(`  cpu per delivery while answering: ${cpuLine(r.cpu)}`);
      console.log(`  server context switches per delivery: ${fixed(r.cpu.switchesVoluntary)} waiting, ${fixed(r.cpu.switchesInvoluntary)} preempted`);
    }
    if (r.cpuWithDrain && r.cpu && r.name === 'ingest-alone') {
      console.log(
        `  the apply alone, after each slice: ${fixed(r.drainSeconds)} s in all, ${(measured.uniqueEvents / r.drainSeconds).toFixed(0)} events applied/s; cpu per delivery ` +
          `server ${fixed(r.cpuWithDrain.server - r.cpu.server)} ms, postgres ${fixed(r.cpuWithDrain.postgres - r.cpu.postgres)} ms`,
      );
    } else if (r.cpuWithDrain) {
      console.log(
        `  cpu per delivery, applying included (+${fixed(r.drainSeconds)} s waiting for an empty inbox after the slices): ` +
          `server ${fixed(r.cpuWithDrain.server)} ms, postgres ${fixed(r.cpuWithDrain.postgres)} ms`,
      );
    }
    for (const sample of r.errorSamples) console.log(`  error: ${sample}`);
    if (r.queries) {
      console.log(`  SQL statements (round trips): ${r.queries.total} = ${fixed(r.queries.total / options.events)} per delivery`);
      for (const [kind, n] of r.queries.statements.sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`    ${String(n).padStart(6)}  ${kind}`);
      console.log('  transactions:');
      for (const [shape, n] of summariseTransactions(r.queries.transactions).slice(0, 12)) console.log(`    ${String(n).padStart(6)}  ${shape}`);
    }
    if (r.profile) printProfile(r.profile, options.events);
  }

  // --- Burst
  if (burstResult) {
    const b = burstResult;
    const ratio = b.appliedSeconds / b.ingestSeconds;
    console.log('');
    console.log(`burst: ${b.deliveries} deliveries (${b.uniqueEvents} events) to the deferred side at concurrency ${options.concurrency}`);
    console.log(`  ingest ${fixed(b.ingestSeconds)} s (${(b.deliveries / b.ingestSeconds).toFixed(0)} deliveries/s, p50 ${fixed(b.p50)} ms, p99 ${fixed(b.p99)} ms); outcomes ${Object.entries(b.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; errors ${b.errors}`);
    console.log(
      `  all applied ${fixed(b.appliedSeconds)} s after the first send: ${fixed(ratio)}× the ingest time, target ≤ ${TARGETS.burstApplyVsIngest}×: ${verdict(ratio <= TARGETS.burstApplyVsIngest)}`,
    );
    console.log(
      `  applied ${(b.uniqueEvents / b.appliedSeconds).toFixed(0)} events/s over the whole burst; depth at the end of the ingest ${b.depthAtIngestEnd}, ` +
        `drained at ${b.appliedSeconds > b.ingestSeconds ? (b.depthAtIngestEnd / (b.appliedSeconds - b.ingestSeconds)).toFixed(0) : '-'} events/s after it; largest depth ${b.maxDepth}`,
    );
    if (b.cpu) console.log(`  cpu per delivery (ingest and apply): ${cpuLine(b.cpu)}`);
    for (const sample of b.errorSamples) console.log(`  error: ${sample}`);
  }

  // --- Sustained
  if (sustained) {
    const s = sustained;
    const depths = s.depths.map(([, d]) => d);
    const third = Math.max(1, Math.floor(depths.length / 3));
    const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);
    console.log('');
    console.log(`sustained: ${s.deliveries} deliveries (${s.uniqueEvents} events) open loop at ${s.rate.toFixed(0)}/s (sent at ${s.achievedRate.toFixed(0)}/s) to the deferred side`);
    console.log(`  pacing: sends left at most ${fixed(s.pacingLag.max, 1)} ms behind their schedule (p99 ${fixed(s.pacingLag.p99, 1)} ms)`);
    console.log(`  answers p50 ${fixed(s.p50)} ms, p99 ${fixed(s.p99)} ms; outcomes ${Object.entries(s.outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; errors ${s.errors}`);
    console.log(
      `  depth (every ${options.pollMs} ms): max ${Math.max(0, ...depths)}, mean ${fixed(mean(depths), 1)} (first third ${fixed(mean(depths.slice(0, third)), 1)}, last third ${fixed(mean(depths.slice(-third)), 1)}), ` +
        `at the last send ${s.depthAfterSends}`,
    );
    console.log(
      `  ingest (2xx) → first domain event dispatched, ${s.dispatch.n} of ${s.uniqueEvents} events (${s.domainEvents} domain events): ` +
        `p50 ${fixed(s.dispatch.p50)} ms, p90 ${fixed(s.dispatch.p90)} ms, p99 ${fixed(s.dispatch.p99)} ms, max ${fixed(s.dispatch.max)} ms; ` +
        `target p99 < ${TARGETS.dispatchP99Ms} ms: ${verdict(s.dispatch.p99 < TARGETS.dispatchP99Ms)}`,
    );
    const maxBySecond: number[] = [];
    for (const [ms, depth] of s.depths) {
      const second = Math.max(0, Math.floor(ms / 1000));
      maxBySecond[second] = Math.max(maxBySecond[second] ?? 0, depth);
    }
    console.log(`  each second: largest depth ${Array.from(maxBySecond, (d) => d ?? '-').join(' ')}`);
    console.log(`  each second: p99 ingest → dispatched, ms ${s.dispatchP99BySecond.map((ms) => fixed(ms, 0)).join(' ')}`);
    console.log(`  send → dispatched: p50 ${fixed(s.sendToDispatch.p50)} ms, p99 ${fixed(s.sendToDispatch.p99)} ms`);
    if (s.inDatabase) console.log(`  in PostgreSQL, received_at → processed_at (the applying transaction's start): p50 ${fixed(s.inDatabase.p50)} ms, p99 ${fixed(s.inDatabase.p99)} ms, max ${fixed(s.inDatabase.max)} ms`);
    if (s.cpu) console.log(`  cpu per delivery: ${cpuLine(s.cpu)}`);
    console.log(
      `  autovacuum/autoanalyze of the module's tables during the phase (last run of each, s after its start): ` +
        `${s.maintenance.length ? s.maintenance.map(([table, what, at]) => `${table} ${what} +${at.toFixed(1)}`).join(', ') : 'none'}`,
    );
    for (const sample of s.errorSamples) console.log(`  error: ${sample}`);
  }

  const noisy = [
    ...all.filter((r) => disturbed(r.cpu)).map((r) => r.label),
    ...(burstResult && disturbed(burstResult.cpu) ? ['the burst'] : []),
    ...(sustained && disturbed(sustained.cpu) ? ['the sustained phase'] : []),
  ];
  if (noisy.length) {
    console.log(`\nnote: other processes took more than 15% of the CPU during ${noisy.join(', ')} ("anything else" above): figures low and noisy; run again on a quiet machine.`);
  }
  const errors = [...results.values()].reduce((n, r) => n + r.errors, 0) + (burstResult?.errors ?? 0) + (sustained?.errors ?? 0);
  if (errors > 0) process.exitCode = 1;
}

let serverUrlForCleanup = 'postgres://postgres@127.0.0.1:5432/postgres';
try {
  serverUrlForCleanup = parseOptions(process.argv.slice(2)).serverUrl;
} catch {
  // reported by main()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void cleanup(serverUrlForCleanup).finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  await cleanup(serverUrlForCleanup);
  process.exit(1);
});
