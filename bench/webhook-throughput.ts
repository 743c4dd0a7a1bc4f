import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { freePort } from '../test/support/free-port';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createDatabase, dropDatabase, withClient } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import type { QueryCountReport } from './count-queries';
import type { ProfileSummary } from './cpu-profile';
import { EventPlan, findRepoRoot, planEvents, SignedBody, signAll } from './webhook-events';
import { machineLine } from './machine-line';

/**
 * bench/webhook-throughput: signed Stripe events posted over keep-alive connections at a fixed
 * concurrency, to the module (the demo app, or the bench host with `--target host`) and, in the
 * same run, to a floor baseline (bare Node HTTP handler: verify the signature, one
 * INSERT ... ON CONFLICT). Each side runs in its own process on a fresh PostgreSQL database.
 * Both servers stay up and the measured stream goes to them in alternating rounds (R slices of
 * N/R deliveries each, the same slices to both sides), so that load from elsewhere on the machine
 * falls on both alike. Prints events/s and p50/p99 latency of each side and the ratio
 * module/baseline; then what each side cost in CPU, and checks the rows in each database.
 *
 *   npm run bench:webhook -- [--events 4000] [--concurrency 32] [--subscriptions 200]
 *     [--warmup 300] [--rounds 4] [--duplicates 0.1] [--target demo|host] [--domain-events durable|in-process]
 *     [--count-queries] [--profile] [--seed 1]
 *
 * --count-queries and --profile preload a probe into both servers (bench/count-queries.ts,
 * bench/cpu-profile.ts); they cost a little, so take the figures from a run without them.
 */

type Target = 'demo' | 'host';

interface Options {
  events: number;
  concurrency: number;
  subscriptions: number;
  warmup: number;
  rounds: number;
  duplicates: number;
  target: Target;
  domainEvents: 'durable' | 'in-process' | null;
  /** A third side: the bench host with in-process domain events, beside the host with durable ones. */
  compareDelivery: boolean;
  countQueries: boolean;
  profile: boolean;
  seed: number;
  serverUrl: string;
}

const REPO = findRepoRoot(__dirname);

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['events', 'concurrency', 'subscriptions', 'warmup', 'rounds', 'duplicates', 'target', 'domain-events', 'seed', 'database-url'], ['compare-delivery', 'count-queries', 'profile', 'help']);
  if (flags.has('help')) {
    console.log(
      'Options (flag, or env): --events N (BENCH_EVENTS, 4000), --concurrency C (BENCH_CONCURRENCY, 32), ' +
        '--subscriptions S (BENCH_SUBSCRIPTIONS, 200), --warmup W (BENCH_WARMUP, 300), --rounds R (BENCH_ROUNDS, 4), --duplicates R (BENCH_DUPLICATES, 0.1), ' +
        '--target demo|host (BENCH_TARGET, demo), --domain-events durable|in-process (host only; default: the module\'s), ' +
        '--compare-delivery (bench host with durable and with in-process domain events, side by side), --count-queries (BENCH_COUNT_QUERIES=1), --profile (BENCH_PROFILE=1), --seed N (BENCH_SEED, 1), ' +
        '--database-url URL of the server (BENCH_DATABASE_URL, postgres://postgres@127.0.0.1:5432/postgres)',
    );
    process.exit(0);
  }
  const pick = (flag: string, env: string, fallback: string) => flags.text(flag, fallback, env);
  const int = (flag: string, env: string, fallback: number, min: number) => flags.wholeNumber(flag, fallback, min, env);
  const compareDelivery = flags.has('compare-delivery');
  const target = compareDelivery ? 'host' : pick('target', 'BENCH_TARGET', 'demo');
  if (target !== 'demo' && target !== 'host') throw new Error('--target must be demo or host');
  const domainEvents = pick('domain-events', 'BENCH_DOMAIN_EVENTS', '') || null;
  if (domainEvents !== null && domainEvents !== 'durable' && domainEvents !== 'in-process') throw new Error('--domain-events must be durable or in-process');
  if (domainEvents !== null && target !== 'host') throw new Error('--domain-events applies to --target host only (the demo takes its options from its own configuration)');
  const duplicates = Number(pick('duplicates', 'BENCH_DUPLICATES', '0.1'));
  if (!(duplicates >= 0 && duplicates < 0.5)) throw new Error('--duplicates must be a ratio in [0, 0.5)');
  return {
    events: int('events', 'BENCH_EVENTS', 4000, 1),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 32, 1),
    subscriptions: int('subscriptions', 'BENCH_SUBSCRIPTIONS', 200, 1),
    warmup: int('warmup', 'BENCH_WARMUP', 300, 0),
    rounds: int('rounds', 'BENCH_ROUNDS', 4, 1),
    duplicates,
    target,
    domainEvents,
    compareDelivery,
    countQueries: flags.has('count-queries') || process.env.BENCH_COUNT_QUERIES === '1',
    profile: flags.has('profile') || process.env.BENCH_PROFILE === '1',
    seed: int('seed', 'BENCH_SEED', 1, 0),
    serverUrl: flags.serverUrl(),
  };
}

// ---------------------------------------------------------------------------------------------
// Databases

const createdDatabases = new Set<string>();

/** A fresh database, dropped at the end even if the run fails. */
async function createTrackedDatabase(serverUrl: string, name: string): Promise<string> {
  const url = await createDatabase(serverUrl, name);
  createdDatabases.add(name);
  return url;
}

async function dropTrackedDatabase(serverUrl: string, name: string): Promise<void> {
  await dropDatabase(serverUrl, name);
  createdDatabases.delete(name);
}

// ---------------------------------------------------------------------------------------------
// Server processes

interface ServerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();

function startServer(script: string, env: Record<string, string>, preloads: string[]): ServerProcess {
  const args = [...preloads.flatMap((preload) => ['-r', preload]), script];
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
  return { child, output, exited };
}

async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await server.exited;
  clearTimeout(timer);
}

/** Waits until the server answers on the webhook path (an unsigned POST: any HTTP answer will do). */
async function waitForServer(server: ServerProcess, port: number, path: string, label: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${label} exited (code ${exitCode}) before answering:\n${server.output.slice(-30).join('\n')}`);
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end('{}');
    });
    if (status === 404) throw new Error(`${label} answers 404 on ${path}: is the webhook mounted there?\n${server.output.slice(-30).join('\n')}`);
    if (status !== 0) return;
    if (Date.now() > deadline) throw new Error(`${label} did not answer within ${timeoutMs / 1000} s:\n${server.output.slice(-30).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ipc<T>(child: ChildProcess, cmd: string, reply: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No ${reply} from the server (was it started with the preload?)`)), timeoutMs);
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== reply) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send({ cmd });
  });
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux /proc): where the time of the measured phase went

interface CpuSnapshot {
  machine: { busy: number; steal: number; total: number };
  ticks: Map<string, number>;
}

/** CPU ticks spent during the measured slices of one side, summed. */
interface CpuTally {
  ticks: Map<string, number>;
  machineBusy: number;
  machineSteal: number;
  machineTotal: number;
}

const TICK_MS = 10; // CLK_TCK = 100 on Linux

/** [utime, stime] of a process, in clock ticks. */
function procTimes(pid: number | string): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]), Number(fields[12])];
}

/** [voluntary, involuntary] context switches of a process. */
function contextSwitches(pid: number): [number, number] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return [read('voluntary_ctxt_switches'), read('nonvoluntary_ctxt_switches')];
}

function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim().startsWith('postgres')) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function cpuSnapshot(serverPid: number): CpuSnapshot | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const [user0, nice, system0, idle, iowait, irq, softirq, steal] = cpu;
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    const ticks = new Map<string, number>();
    const [user, system] = procTimes(serverPid);
    ticks.set('server', user + system);
    ticks.set('server:sys', system);
    const [voluntary, involuntary] = contextSwitches(serverPid);
    ticks.set('server:cs-voluntary', voluntary);
    ticks.set('server:cs-involuntary', involuntary);
    const [loadUser, loadSystem] = procTimes(process.pid);
    ticks.set('loadgen', loadUser + loadSystem);
    for (const pid of postgresPids()) {
      try {
        const [pgUser, pgSystem] = procTimes(pid);
        ticks.set(`pg:${pid}`, pgUser + pgSystem);
      } catch {
        // gone
      }
    }
    return { machine: { busy: user0 + nice + system0 + irq + softirq, steal, total: total - iowait }, ticks };
  } catch {
    return null;
  }
}

function tallyCpu(tally: CpuTally | null, before: CpuSnapshot | null, after: CpuSnapshot | null): CpuTally | null {
  if (!before || !after) return null;
  tally ??= { ticks: new Map(), machineBusy: 0, machineSteal: 0, machineTotal: 0 };
  for (const [key, value] of after.ticks) {
    const delta = value - (before.ticks.get(key) ?? value);
    const bucket = key.startsWith('pg:') ? 'postgres' : key;
    tally.ticks.set(bucket, (tally.ticks.get(bucket) ?? 0) + Math.max(0, delta));
  }
  tally.machineBusy += after.machine.busy - before.machine.busy;
  tally.machineSteal += after.machine.steal - before.machine.steal;
  tally.machineTotal += after.machine.total - before.machine.total;
  return tally;
}

interface CpuUse {
  /** CPU milliseconds per delivery. */
  server: number;
  /** Of which in the kernel (socket reads and writes, mostly). */
  serverSystem: number;
  postgres: number;
  loadgen: number;
  /** Context switches of the server process per delivery: waiting for I/O, and preempted. */
  switchesVoluntary: number;
  switchesInvoluntary: number;
  /** All the machine's busy CPU per delivery, whoever spent it. */
  machine: number;
  /** Share of all cores busy during the measured slices, and taken by the hypervisor. */
  machineBusy: number;
  machineSteal: number;
}

function cpuUse(tally: CpuTally | null, deliveries: number): CpuUse | null {
  if (!tally) return null;
  const per = (key: string) => ((tally.ticks.get(key) ?? 0) * TICK_MS) / deliveries;
  return {
    server: per('server'),
    serverSystem: per('server:sys'),
    postgres: per('postgres'),
    loadgen: per('loadgen'),
    switchesVoluntary: (tally.ticks.get('server:cs-voluntary') ?? 0) / deliveries,
    switchesInvoluntary: (tally.ticks.get('server:cs-involuntary') ?? 0) / deliveries,
    machine: (tally.machineBusy * TICK_MS) / deliveries,
    machineBusy: tally.machineTotal ? tally.machineBusy / tally.machineTotal : 0,
    machineSteal: tally.machineTotal ? tally.machineSteal / tally.machineTotal : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Load generation

interface PhaseResult {
  deliveries: number;
  seconds: number;
  latenciesMs: Float64Array;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
}

function post(agent: Agent, port: number, path: string, delivery: SignedBody): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers: delivery.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ status: 0, body: error.message }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(delivery.body);
  });
}

/** Posts every delivery, at most `concurrency` in flight, each worker taking the next one in order. */
async function runPhase(agent: Agent, port: number, path: string, deliveries: SignedBody[], concurrency: number): Promise<PhaseResult> {
  const latenciesMs = new Float64Array(deliveries.length);
  const outcomes: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < deliveries.length; i = next++) {
      const start = process.hrtime.bigint();
      const { status, body } = await post(agent, port, path, deliveries[i]);
      latenciesMs[i] = Number(process.hrtime.bigint() - start) / 1e6;
      if (status >= 200 && status < 300) {
        const outcome = /"outcome"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? 'unknown';
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } else {
        errors += 1;
        if (errorSamples.length < 5) errorSamples.push(`${status} ${body.slice(0, 200)}`);
      }
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(concurrency, deliveries.length) }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { deliveries: deliveries.length, seconds, latenciesMs, errors, errorSamples, outcomes };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ---------------------------------------------------------------------------------------------
// Sides

interface SideResult {
  label: string;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
  roundRates: number[];
  cpu: CpuUse | null;
  queries: QueryCountReport | null;
  profile: ProfileSummary | null;
  dbCheck: string;
}

interface Side {
  name: 'baseline' | 'module' | 'module-in-process';
  label: string;
  /** Overrides `--domain-events` for this side. */
  domainEvents?: 'durable' | 'in-process';
  script: string;
  database: string;
  check(db: Client): Promise<string>;
}

/** A side with its server up, warmed up, and its measured deliveries signed. */
interface RunningSide {
  side: Side;
  url: string;
  port: number;
  path: string;
  server: ServerProcess;
  agent: Agent;
  bodies: SignedBody[];
  latencies: number[];
  seconds: number;
  /** events/s of each round. */
  roundRates: number[];
  errors: number;
  errorSamples: string[];
  outcomes: Record<string, number>;
  cpu: CpuTally | null;
}

async function startSide(side: Side, options: Options, warmup: EventPlan, measured: EventPlan): Promise<RunningSide> {
  const url = await createTrackedDatabase(options.serverUrl, side.database);
  const port = await freePort();
  const uuid = randomUUID();
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
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
    BENCH_DOMAIN_EVENTS: side.domainEvents ?? options.domainEvents ?? '',
    BENCH_PROFILE_FILE: join(profileDir, `webhook-${side.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`),
  };
  const server = startServer(side.script, env, preloads);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const state: RunningSide = { side, url, port, path, server, agent, bodies: [], latencies: [], seconds: 0, roundRates: [], errors: 0, errorSamples: [], outcomes: {}, cpu: null };

  const booting = Date.now();
  await waitForServer(server, port, path, side.label);
  process.stderr.write(`  ${side.label}: up in ${((Date.now() - booting) / 1000).toFixed(1)} s; signing ${warmup.deliveries.length + measured.deliveries.length} deliveries, warming up\n`);
  const warmupBodies = await signAll(warmup.deliveries, secret);
  state.bodies = await signAll(measured.deliveries, secret);
  const warm = await runPhase(agent, port, path, warmupBodies, options.concurrency);
  if (warm.errors) process.stderr.write(`  ${side.label}: ${warm.errors} errors during warm-up, e.g. ${warm.errorSamples[0]}\n`);
  return state;
}

/** Posts deliveries [from, to) of the side's measured stream, and adds the figures to its tally. */
async function runSlice(state: RunningSide, from: number, to: number, concurrency: number): Promise<void> {
  const before = cpuSnapshot(state.server.child.pid!);
  const result = await runPhase(state.agent, state.port, state.path, state.bodies.slice(from, to), concurrency);
  const after = cpuSnapshot(state.server.child.pid!);
  state.cpu = tallyCpu(state.cpu, before, after);
  state.seconds += result.seconds;
  state.roundRates.push(result.deliveries / result.seconds);
  for (const ms of result.latenciesMs) state.latencies.push(ms);
  state.errors += result.errors;
  state.errorSamples.push(...result.errorSamples.slice(0, Math.max(0, 5 - state.errorSamples.length)));
  for (const [outcome, n] of Object.entries(result.outcomes)) state.outcomes[outcome] = (state.outcomes[outcome] ?? 0) + n;
}

async function finishSide(state: RunningSide, options: Options): Promise<SideResult> {
  const queries = options.countQueries ? await ipc<QueryCountReport>(state.server.child, 'report', 'query-counts') : null;
  const profile = options.profile ? await ipc<ProfileSummary>(state.server.child, 'profile-stop', 'profile-summary', 30_000) : null;
  const dbCheck = await withClient(state.url, (db) => state.side.check(db)).catch((error) => `check failed: ${error instanceof Error ? error.message : error}`);
  const sorted = Float64Array.from(state.latencies).sort();
  return {
    label: state.side.label,
    eventsPerSecond: state.latencies.length / state.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors: state.errors,
    errorSamples: state.errorSamples,
    outcomes: state.outcomes,
    roundRates: state.roundRates,
    cpu: cpuUse(state.cpu, state.latencies.length),
    queries,
    profile,
    dbCheck,
  };
}

async function stopSide(state: RunningSide, serverUrl: string): Promise<void> {
  state.agent.destroy();
  await stopServer(state.server);
  await dropTrackedDatabase(serverUrl, state.side.database);
}

async function countRows(db: Client, table: string): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

function expectation(label: string, actual: number, expected: number): string {
  return `${label} ${actual}/${expected}${actual === expected ? '' : ' MISMATCH'}`;
}

// ---------------------------------------------------------------------------------------------
// Report

function table(results: SideResult[]): string {
  const header = ['side', 'events/s', 'p50 ms', 'p99 ms', 'errors'];
  const rows = results.map((r) => [r.label, r.eventsPerSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.errors)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Share of the machine busy over `ms` before the run: anything much above 0 is someone else's load. */
async function backgroundLoad(ms = 1000): Promise<number | null> {
  const read = () => {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  };
  try {
    const before = read();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = read();
    return (after.busy - before.busy) / Math.max(1, after.total - before.total);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const demoMain = join(REPO, 'dist', 'apps', 'demo', 'src', 'main.js');
  if (options.target === 'demo' && !existsSync(demoMain)) {
    throw new Error(`The demo is not built (${demoMain} is missing): run \`npx nest build demo\` first, or measure the bench host with --target host.`);
  }

  const measured = planEvents({ deliveries: options.events, subscriptions: options.subscriptions, duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed });
  const warmupSubscriptions = Math.max(1, Math.round((options.subscriptions * options.warmup) / options.events));
  const warmup = planEvents({ deliveries: options.warmup, subscriptions: warmupSubscriptions, duplicateRatio: options.duplicates, concurrency: options.concurrency, seed: options.seed + 1 });

  const mix = Object.entries(measured.byType).map(([type, n]) => `${type} ${n}`).join(', ');
  console.log(`webhook-throughput: ${machineLine()}`);
  console.log(
    `  ${options.events} deliveries (${measured.duplicates} duplicates) over ${options.subscriptions} subscriptions after ${options.warmup} warm-up, ` +
      `in ${options.rounds} alternating rounds, concurrency ${options.concurrency}, keep-alive, module side: ${options.target === 'demo' ? 'demo app (dist/apps/demo/src/main.js)' : `bench host (bench/module-host.ts)${options.domainEvents ? `, domainEvents ${options.domainEvents}` : ''}`}` +
      `${options.countQueries ? ', counting queries' : ''}${options.profile ? ', profiling' : ''}`,
  );
  console.log(`  mix: ${mix}`);
  const background = await backgroundLoad();
  if (background !== null) {
    console.log(`  machine busy in the second before the run: ${(background * 100).toFixed(0)}%`);
  }

  const expectedEvents = measured.uniqueEvents + warmup.uniqueEvents;
  const expectedSubscriptions = measured.subscriptions + warmup.subscriptions;
  const suffix = `${process.pid}`;
  const checkModule = async (db: Client) =>
    [
      expectation('litestripe_event', await countRows(db, 'litestripe_event'), expectedEvents),
      expectation('litestripe_subscription', await countRows(db, 'litestripe_subscription'), expectedSubscriptions),
      `orphans ${await countRows(db, 'litestripe_orphaned_payment')}`,
    ].join(', ');
  const sides: Side[] = [
    {
      name: 'baseline',
      label: 'baseline (bare node:http + pg)',
      script: join(__dirname, 'baseline-server.js'),
      database: `litestripe_bench_baseline_${suffix}`,
      check: async (db) => expectation('bench_event', await countRows(db, 'bench_event'), expectedEvents),
    },
    {
      name: 'module',
      label: `module (${options.target})`,
      script: options.target === 'demo' ? demoMain : join(__dirname, 'module-host.js'),
      database: `litestripe_bench_module_${suffix}`,
      check: checkModule,
      ...(options.compareDelivery ? { label: 'module (host, durable events)', domainEvents: 'durable' as const } : {}),
    },
  ];
  if (options.compareDelivery) {
    sides.push({
      name: 'module-in-process',
      label: 'module (host, in-process events)',
      script: join(__dirname, 'module-host.js'),
      database: `litestripe_bench_module_in_process_${suffix}`,
      check: checkModule,
      domainEvents: 'in-process',
    });
  }

  // Both servers stay up; the measured stream is posted in rounds, alternating which side goes
  // first, so that whatever else the machine does at the time weighs on both sides alike.
  const states: RunningSide[] = [];
  let results: SideResult[];
  try {
    for (const side of sides) states.push(await startSide(side, options, warmup, measured));
    for (const state of states) {
      if (options.countQueries) await ipc(state.server.child, 'reset', 'query-counts-reset');
      if (options.profile) await ipc(state.server.child, 'profile-start', 'profile-started');
    }
    const rounds = Math.min(options.rounds, options.events);
    for (let round = 0; round < rounds; round++) {
      const from = Math.floor((round * options.events) / rounds);
      const to = Math.floor(((round + 1) * options.events) / rounds);
      for (const state of round % 2 === 0 ? states : [...states].reverse()) await runSlice(state, from, to, options.concurrency);
    }
    results = [];
    for (const state of states) results.push(await finishSide(state, options));
  } finally {
    for (const state of states) await stopSide(state, options.serverUrl);
  }

  console.log('');
  console.log(table(results));
  const [baseline, module] = results;
  console.log(
    `ratio module/baseline: ${(module.eventsPerSecond / baseline.eventsPerSecond).toFixed(2)}× throughput, ` +
      `p50 ${(module.p50 / baseline.p50).toFixed(2)}×, p99 ${(module.p99 / baseline.p99).toFixed(2)}×`,
  );
  const inProcess = results[2];
  if (inProcess) {
    console.log(
      `ratio durable/in-process domain events: ${(module.eventsPerSecond / inProcess.eventsPerSecond).toFixed(2)}× throughput, ` +
        `p50 ${(module.p50 / inProcess.p50).toFixed(2)}×, p99 ${(module.p99 / inProcess.p99).toFixed(2)}× ` +
        `(in-process/baseline: ${(inProcess.eventsPerSecond / baseline.eventsPerSecond).toFixed(2)}×)`,
    );
  }
  const roundRatios = module.roundRates.map((rate, i) => (rate / baseline.roundRates[i]).toFixed(2));
  console.log(`  throughput ratio of each round: ${roundRatios.join(', ')} (a wide spread means the machine was busy with something else)`);
  console.log('');
  for (const r of results) {
    const outcomes = Object.entries(r.outcomes).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(`${r.label}: outcomes ${outcomes}; db ${r.dbCheck}`);
    if (r.cpu) {
      console.log(
        `  cpu per delivery: server ${r.cpu.server.toFixed(2)} ms (${r.cpu.serverSystem.toFixed(2)} in the kernel), postgres ${r.cpu.postgres.toFixed(2)} ms, ` +
          `load generator ${r.cpu.loadgen.toFixed(2)} ms, anything else ${Math.max(0, r.cpu.machine - r.cpu.server - r.cpu.postgres - r.cpu.loadgen).toFixed(2)} ms; ` +
          `machine ${(r.cpu.machineBusy * 100).toFixed(0)}% busy${r.cpu.machineSteal >= 0.005 ? `, ${(r.cpu.machineSteal * 100).toFixed(0)}% stolen` : ''}`,
      );
      console.log(`  server context switches per delivery: ${r.cpu.switchesVoluntary.toFixed(2)} waiting, ${r.cpu.switchesInvoluntary.toFixed(2)} preempted`);
    }
    for (const sample of r.errorSamples) console.log(`  error: ${sample}`);
    if (r.queries) {
      console.log(`  SQL statements (round trips): ${r.queries.total} = ${(r.queries.total / options.events).toFixed(2)} per delivery`);
      for (const [kind, n] of r.queries.statements.sort((a, b) => b[1] - a[1])) console.log(`    ${String(n).padStart(6)}  ${kind}`);
      console.log('  transactions:');
      for (const [shape, n] of r.queries.transactions.sort((a, b) => b[1] - a[1])) console.log(`    ${String(n).padStart(6)}  ${shape}`);
    }
    if (r.profile) printProfile(r.profile, options.events);
  }
  const disturbed = results.filter((r) => r.cpu && r.cpu.machine > 0 && (r.cpu.machine - r.cpu.server - r.cpu.postgres - r.cpu.loadgen) / r.cpu.machine > 0.15);
  if (disturbed.length) {
    console.log(
      `\nnote: other processes took more than 15% of the CPU during the measured rounds of ${disturbed.map((r) => r.label).join(' and ')}` +
        ` ("anything else" above): this run's figures are low and noisy; run it again on a quiet machine.`,
    );
  }
  const errors = results.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) process.exitCode = 1;
}

function printProfile(profile: ProfileSummary, deliveries: number): void {
  const busy = profile.totalMs - (profile.categories.find(([c]) => c === '(idle)')?.[1] ?? 0);
  const share = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${((1000 * ms) / deliveries).toFixed(0).padStart(4)} µs/delivery`;
  console.log(`  server CPU profile of the measured phase: ${busy.toFixed(0)} ms busy (${((1000 * busy) / deliveries).toFixed(0)} µs/delivery); ${profile.file}`);
  for (const [category, ms] of profile.categories.filter(([c]) => c !== '(idle)').slice(0, 18)) console.log(`    ${share(ms)}  ${category}`);
  console.log('  top functions (self time):');
  for (const [name, ms] of profile.functions.filter(([f]) => !f.startsWith('(idle)')).slice(0, 15)) console.log(`    ${share(ms)}  ${name}`);
}

async function cleanup(serverUrl: string): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  for (const name of [...createdDatabases]) await dropTrackedDatabase(serverUrl, name).catch(() => undefined);
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
  console.error(error instanceof Error ? error.message : error);
  await cleanup(serverUrlForCleanup);
  process.exit(1);
});
