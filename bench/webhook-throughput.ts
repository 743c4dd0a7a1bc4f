import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { Agent } from 'node:http';
import { freePort } from '../test/support/free-port';
import { join } from 'node:path';
import type { Client } from 'pg';
import { withClient } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import type { QueryCountReport } from './count-queries';
import type { ProfileSummary } from './cpu-profile';
import { EventPlan, findRepoRoot, planEvents, SignedBody, signAll } from './webhook-events';
import { machineLine } from './machine-line';
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
interface RunningSide extends PhaseTally {
  side: Side;
  url: string;
  port: number;
  path: string;
  server: ServerProcess;
  agent: Agent;
  bodies: SignedBody[];
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
  const before = cpuSnapshot(state.server.child.pid!, state.side.database);
  const result = await runPhase(state.agent, state.port, state.path, state.bodies.slice(from, to), concurrency);
  const after = cpuSnapshot(state.server.child.pid!, state.side.database);
  state.cpu = tallyCpu(state.cpu, before, after);
  addPhase(state, result);
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

// ---------------------------------------------------------------------------------------------
// Report

function table(results: SideResult[]): string {
  const header = ['side', 'events/s', 'p50 ms', 'p99 ms', 'errors'];
  const rows = results.map((r) => [r.label, r.eventsPerSecond.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.errors)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
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
          `load generator ${r.cpu.loadgen.toFixed(2)} ms, anything else ${Math.max(0, r.cpu.machine - r.cpu.server - r.cpu.postgres - r.cpu.loadgen).toFixed(2)} ms` +
          `${r.cpu.postgresOther >= 0.005 ? ` (of which PostgreSQL for other databases ${r.cpu.postgresOther.toFixed(2)} ms)` : ''}; ` +
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
