import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from '../test/support/free-port';
import { withClient } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import type { ProfileSummary } from './cpu-profile';
import { median, percentile, seedActiveAccounts } from './guard-host';
import { machineLine } from './machine-line';
import { USAGE_BENCH } from './usage-limit-config';
import {
  backgroundLoad,
  cleanup,
  cpuSnapshot,
  CpuSnapshot,
  CpuTally,
  cpuUse,
  createTrackedDatabase,
  ipc,
  printProfile,
  ServerProcess,
  startServer,
  stopServer,
  tallyCpu,
} from './webhook-harness';
import { findRepoRoot } from './webhook-events';

/**
 * bench/usage-limit: what `@UsageLimit()` costs a request, in each store, against the same route
 * without a limit, in one run. One server process (bench/usage-limit-host.ts: Express, PostgreSQL
 * through TypeORM with a pool of 10, the entitlement cache at its default, Redis through one ioredis
 * client) serves three routes with the same handler:
 *
 * - `/unlimited`: `@RequiresSubscription()` (the baseline: guarded, no limit);
 * - `/limited-pg`: the same + `@UsageLimit('api_calls_pg')`, counted in PostgreSQL;
 * - `/limited-redis`: the same + `@UsageLimit('api_calls_redis')`, counted in Redis.
 *
 * A accounts hold an active subscription to a plan whose limit of both metrics is 1e12, so no
 * request is refused. Requests go over keep-alive connections at a fixed concurrency (a closed
 * loop), spread over the accounts, in R rounds whose route orders form a balanced (Williams)
 * design: each route comes first, and right after each other route, equally often. In each round
 * each route runs for the same time (`--round-ms`), not the same number of requests: the routes
 * differ fourfold in speed, and equal times give the fast route windows as long as the slow one's. Prints requests/s, p50/p99 and CPU per
 * request (server, PostgreSQL, Redis, load generator, and "anything else": the rest of the machine's
 * busy CPU, other people's jobs; over 15% of the busy CPU, the run says not to use it) of each
 * route, the ratios limited/unlimited per store (aggregate, median of the per-round ratios,
 * p50/p99, each round), and the target: Redis ≥ 0.7× (median of rounds). At the end it checks that every granted request was counted
 * once in its store, and deletes the run's Redis keys and database.
 *
 * `--diagnose` adds four routes that split the cost (see bench/usage-limit-host.ts): the refund
 * interceptor alone, each store's `consume()` called straight from an unlimited route's handler,
 * and the Redis limit without the refund interceptor; with 7 routes the design has 14 orders, so
 * the defaults become 14 rounds of 500 ms. `--profile` then profiles the server's CPU on each
 * route in turn, after the rounds.
 *
 * Two host settings, to see what they would give (the library does not set them): `--redis-autopipelining`
 * creates the host's ioredis client with `enableAutoPipelining: true`; `--pg-async-commit` sets
 * `synchronous_commit = off` on the run's database, so a counter's commit does not wait for its WAL flush.
 *
 *   npm run bench:usage [-- --round-ms 1000 --rounds 12 --concurrency 32 --accounts 1000 --warmup 3000
 *                          --diagnose --profile --profile-requests 20000 --redis-autopipelining --pg-async-commit
 *                          --database-url URL --redis-url URL]
 */

const REPO = findRepoRoot(__dirname);
const HOST_SCRIPT = join(REPO, 'bench', 'dist', 'bench', 'usage-limit-host.js');
const PROFILE_DIR = join(REPO, 'bench', 'dist', 'profiles');
const REQUEST_TIMEOUT_MS = 15_000;
const TARGET_REDIS = 0.7;

const MAIN_ROUTES = ['/unlimited', '/limited-pg', '/limited-redis'] as const;
const DIAGNOSTIC_ROUTES = ['/unlimited-interceptor', '/unlimited-store-redis', '/unlimited-store-pg', '/limited-redis-no-refund'] as const;
type Route = (typeof MAIN_ROUTES)[number] | (typeof DIAGNOSTIC_ROUTES)[number];

/** The ratios printed: [numerator, denominator, what it shows]; the diagnostic ones only with --diagnose. */
const RATIOS: [Route, Route, string][] = [
  ['/limited-redis', '/unlimited', '@UsageLimit counted in Redis (target ≥ 0.7×)'],
  ['/limited-pg', '/unlimited', '@UsageLimit counted in PostgreSQL'],
  ['/unlimited-interceptor', '/unlimited', 'the refund interceptor alone'],
  ['/unlimited-store-redis', '/unlimited', "the Redis store's consume() alone, in the handler"],
  ['/limited-redis', '/unlimited-store-redis', "the library's share on top of that round trip (Redis)"],
  ['/unlimited-store-pg', '/unlimited', "the PostgreSQL store's consume() alone, in the handler"],
  ['/limited-pg', '/unlimited-store-pg', "the library's share on top of that round trip (PostgreSQL)"],
  ['/limited-redis-no-refund', '/unlimited', '@UsageLimit counted in Redis, without the refund interceptor'],
];

interface Options {
  roundMs: number;
  rounds: number;
  concurrency: number;
  accounts: number;
  warmup: number;
  diagnose: boolean;
  profile: boolean;
  redisAutoPipelining: boolean;
  pgAsyncCommit: boolean;
  profileRequests: number;
  serverUrl: string;
  redisUrl: string;
}

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['round-ms', 'rounds', 'concurrency', 'accounts', 'warmup', 'profile-requests', 'database-url', 'redis-url'], ['diagnose', 'profile', 'redis-autopipelining', 'pg-async-commit']);
  const int = (name: string, fallback: number, min: number) => flags.wholeNumber(name, fallback, min);
  return {
    roundMs: int('round-ms', flags.has('diagnose') ? 500 : 1000, 50),
    rounds: int('rounds', flags.has('diagnose') ? 14 : 12, 1),
    concurrency: int('concurrency', 32, 1),
    accounts: int('accounts', 1000, 1),
    warmup: int('warmup', 3000, 0),
    diagnose: flags.has('diagnose'),
    profile: flags.has('profile'),
    redisAutoPipelining: flags.has('redis-autopipelining'),
    pgAsyncCommit: flags.has('pg-async-commit'),
    profileRequests: int('profile-requests', 20_000, 100),
    serverUrl: flags.serverUrl(),
    redisUrl: flags.text('redis-url', 'redis://127.0.0.1:6379', 'BENCH_REDIS_URL'),
  };
}

/**
 * A balanced design over n routes: the Williams sequence 0, 1, n-1, 2, n-2, … and its cyclic shifts
 * (and, for an odd n, their reverses): each route runs first, and right after each other route,
 * equally often over all the rows.
 */
function balancedOrders<T>(items: readonly T[]): T[][] {
  const n = items.length;
  const sequence = [0, ...Array.from({ length: n - 1 }, (_, k) => (k % 2 === 0 ? k / 2 + 1 : n - (k + 1) / 2))];
  const rows = Array.from({ length: n }, (_, shift) => sequence.map((i) => (i + shift) % n));
  const all = n % 2 === 1 ? [...rows, ...rows.map((row) => [...row].reverse())] : rows;
  return all.map((row) => row.map((i) => items[i]));
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A GET with the account in `x-user`; resolves to the status code and, when asked, the headers. */
function get(agent: Agent, port: number, path: string, user: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'x-user': user } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${path} got no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

interface Phase {
  elapsedMs: number;
  latencies: number[];
  ok: number;
  errors: number;
  errorSample?: string;
}

/** `count` requests, or (with `durationMs`) as many as the workers start within that time; the accounts taken in turn from `offset`. */
async function runPhase(agent: Agent, port: number, path: string, { count = Infinity, durationMs = Infinity }: { count?: number; durationMs?: number }, concurrency: number, accounts: number, offset: number): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  let errorSample: string | undefined;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    for (let i = next++; i < count && performance.now() < deadline; i = next++) {
      const t0 = performance.now();
      const status = await get(agent, port, path, `acct_${(offset + i) % accounts}`).then(
        (res) => res.status,
        (error: Error) => ((errorSample ??= error.message), 0),
      );
      latencies.push(performance.now() - t0);
      if (status === 200) ok++;
      else {
        errors++;
        errorSample ??= `status ${status} on ${path}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { elapsedMs: performance.now() - started, latencies, ok, errors, errorSample };
}

// ---------------------------------------------------------------------------------------------
// CPU of the Redis server (the harness's snapshot covers the server, PostgreSQL and the load generator)

function redisTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('redis-server')) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone, or not Linux
    }
  }
  return ticks;
}

interface RouteTally {
  phases: Phase[];
  cpu: CpuTally | null;
  redisTicks: number;
}

interface Summary {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests/s of each round. */
  roundRates: number[];
  cpu: ReturnType<typeof cpuUse>;
  redisMs: number;
}

function summarize(tally: RouteTally): Summary {
  const latencies = tally.phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const elapsed = tally.phases.reduce((sum, p) => sum + p.elapsedMs, 0);
  return {
    requests: latencies.length,
    rps: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: tally.phases.reduce((s, p) => s + p.errors, 0),
    roundRates: tally.phases.map((p) => p.latencies.length / (p.elapsedMs / 1000)),
    cpu: cpuUse(tally.cpu, latencies.length),
    redisMs: (tally.redisTicks * 10) / Math.max(1, latencies.length),
  };
}

interface Ratio {
  throughput: number;
  median: number;
  p50: number;
  p99: number;
  rounds: number[];
}

function ratio(a: Summary, b: Summary): Ratio {
  const rounds = a.roundRates.map((rate, i) => rate / b.roundRates[i]);
  return { throughput: a.rps / b.rps, median: median(rounds), p50: a.p50 / b.p50, p99: a.p99 / b.p99, rounds };
}

// ---------------------------------------------------------------------------------------------
// The run

async function waitForHost(server: ServerProcess, agent: Agent, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`The bench host exited (code ${exitCode}) before answering:\n${server.output.slice(-30).join('\n')}`);
    if ((await get(agent, port, '/unlimited', 'probe').catch(() => ({ status: 0 }))).status !== 0) return;
    if (Date.now() > deadline) throw new Error(`The bench host did not answer within 60 s:\n${server.output.slice(-30).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The rate-limit headers of a granted request, for the checks before the run. */
function remainingOf(headers: Record<string, string | string[] | undefined>, metric: string): { limit: number; remaining: number } | null {
  const limit = headers[`x-ratelimit-limit-${metric}`.toLowerCase()];
  const remaining = headers[`x-ratelimit-remaining-${metric}`.toLowerCase()];
  if (typeof limit !== 'string' || typeof remaining !== 'string') return null;
  return { limit: Number(limit), remaining: Number(remaining) };
}

/** Before anything is measured: the routes do what the bench says they do. Returns the 200s each limited route answered. */
async function checkRoutes(agent: Agent, port: number, routes: readonly Route[]): Promise<Map<Route, number>> {
  const granted = new Map<Route, number>();
  for (const route of routes) {
    const refused = await get(agent, port, route, 'acct_nobody');
    if (refused.status !== 403) throw new Error(`${route} answered ${refused.status} to an account without a subscription (403 expected): the benchmark would measure nothing`);
  }
  const unlimited = await get(agent, port, '/unlimited', 'acct_0');
  if (unlimited.status !== 200) throw new Error(`/unlimited answered ${unlimited.status} to a seeded account with an active subscription`);
  if (Object.keys(unlimited.headers).some((name) => name.startsWith('x-ratelimit-'))) throw new Error('/unlimited sets rate-limit headers: it is not the unlimited route');
  const limited: [Route, string][] = [
    ['/limited-pg', USAGE_BENCH.pgMetric],
    ['/limited-redis', USAGE_BENCH.redisMetric],
    ['/limited-redis-no-refund', USAGE_BENCH.redisMetric],
  ];
  for (const [route, metric] of limited.filter(([r]) => routes.includes(r))) {
    const first = await get(agent, port, route, 'acct_0');
    const second = await get(agent, port, route, 'acct_0');
    const a = remainingOf(first.headers, metric);
    const b = remainingOf(second.headers, metric);
    if (first.status !== 200 || second.status !== 200 || !a || !b) throw new Error(`${route} did not grant a seeded account with the ${metric} headers (status ${first.status}, ${second.status})`);
    if (a.limit !== USAGE_BENCH.limit || b.remaining !== a.remaining - 1) {
      throw new Error(`${route}: limit ${a.limit} (expected ${USAGE_BENCH.limit}), remaining ${a.remaining} then ${b.remaining}: the call was not counted once`);
    }
    granted.set(route, 2);
  }
  for (const route of routes.filter((r) => r.startsWith('/unlimited-'))) {
    const answer = await get(agent, port, route, 'acct_0');
    if (answer.status !== 200) throw new Error(`${route} answered ${answer.status} to a seeded account`);
  }
  return granted;
}

/** What the stores counted for the limited routes, against the 200s the bench received. */
async function countedUses(databaseUrl: string, redis: Redis, prefix: string): Promise<{ pg: number; redis: number; redisKeys: string[] }> {
  const pg = await withClient(databaseUrl, async (c) => {
    const { rows } = await c.query(`SELECT COALESCE(sum(used), 0)::bigint AS used FROM litestripe_usage WHERE metric = $1`, [USAGE_BENCH.pgMetric]);
    return Number(rows[0].used);
  });
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const counters = keys.filter((key) => key.includes(`|${USAGE_BENCH.redisMetric}}`));
  const values = counters.length ? await redis.mget(...counters) : [];
  return { pg, redis: values.reduce((sum, value) => sum + Number(value ?? 0), 0), redisKeys: keys };
}

async function profileRoutes(server: ServerProcess, agent: Agent, port: number, routes: readonly Route[], options: Options, granted: Map<Route, number>): Promise<void> {
  console.log(`\nserver CPU profile, ${options.profileRequests} requests per route, one route at a time (after the rounds)`);
  const perRoute: [Route, ProfileSummary][] = [];
  for (const route of routes) {
    await ipc(server.child, 'profile-start', 'profile-started');
    const phase = await runPhase(agent, port, route, { count: options.profileRequests }, options.concurrency, options.accounts, 0);
    const summary = await ipc<ProfileSummary>(server.child, 'profile-stop', 'profile-summary', 60_000);
    granted.set(route, (granted.get(route) ?? 0) + phase.ok);
    const file = join(PROFILE_DIR, `usage-limit${route.replace(/\//g, '-')}.cpuprofile`);
    renameSync(summary.file, file);
    summary.file = file;
    perRoute.push([route, summary]);
    console.log(`\n${route}: ${(options.profileRequests / (phase.elapsedMs / 1000)).toFixed(0)} req/s while profiled`);
    printProfile(summary, options.profileRequests);
  }
  // Side by side: µs of server CPU per request by category, for the categories that cost anything.
  const busy = (s: ProfileSummary) => s.totalMs - (s.categories.find(([c]) => c === '(idle)')?.[1] ?? 0);
  const categories = [...new Set(perRoute.flatMap(([, s]) => s.categories.filter(([c]) => c !== '(idle)').slice(0, 12).map(([c]) => c)))];
  const at = (s: ProfileSummary, category: string) => ((s.categories.find(([c]) => c === category)?.[1] ?? 0) * 1000) / options.profileRequests;
  console.log(`\nserver CPU per request by category, µs (profiled phases)`);
  console.log(`  ${'category'.padEnd(34)}${perRoute.map(([route]) => route.slice(1).padStart(25)).join('')}`);
  console.log(`  ${'busy (all)'.padEnd(34)}${perRoute.map(([, s]) => ((busy(s) * 1000) / options.profileRequests).toFixed(1).padStart(25)).join('')}`);
  for (const category of categories) console.log(`  ${category.slice(0, 33).padEnd(34)}${perRoute.map(([, s]) => at(s, category).toFixed(1).padStart(25)).join('')}`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const routes: Route[] = options.diagnose ? [...MAIN_ROUTES, ...DIAGNOSTIC_ROUTES] : [...MAIN_ROUTES];
  const orders = balancedOrders(routes);
  const started = performance.now();
  console.log(
    `usage-limit: ${options.rounds} rounds of ${options.roundMs} ms per route, concurrency ${options.concurrency}, ${options.accounts} accounts, warm-up ${options.warmup} per route${options.diagnose ? ', diagnostic routes' : ''}${options.profile ? ', profiled' : ''}${options.redisAutoPipelining ? ', ioredis enableAutoPipelining' : ''}${options.pgAsyncCommit ? ', synchronous_commit off' : ''}; ${machineLine()}`,
  );
  console.log(`route orders (round r runs order r mod ${orders.length}): ${orders.map((order) => order.map((route) => route.slice(1)).join(' > ')).join('; ')}`);
  if (options.rounds % orders.length !== 0) console.log(`Note: ${options.rounds} rounds is not a multiple of ${orders.length}, so the route orders are not balanced.`);
  const loadAtStart = loadavg()[0];
  const busyBefore = await backgroundLoad(1000);
  console.log(`machine before the run: ${busyBefore === null ? 'unknown' : `${(100 * busyBefore).toFixed(0)}% busy over 1 s`}, 1-min load ${loadAtStart.toFixed(2)}`);

  const databaseName = `litestripe_bench_usage_${process.pid}`;
  const prefix = `litestripe:bench:usage:${process.pid}:${Date.now()}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  let server: ServerProcess | undefined;
  let failed = false;
  try {
    const databaseUrl = await createTrackedDatabase(options.serverUrl, databaseName);
    if (options.pgAsyncCommit) await withClient(options.serverUrl, (c) => c.query(`ALTER DATABASE ${databaseName} SET synchronous_commit = off`));
    const port = await freePort();
    mkdirSync(PROFILE_DIR, { recursive: true });
    server = startServer(
      HOST_SCRIPT,
      {
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: options.redisUrl,
        REDIS_PREFIX: prefix,
        BENCH_DIAGNOSE: options.diagnose ? '1' : '0',
        BENCH_REDIS_AUTOPIPELINING: options.redisAutoPipelining ? '1' : '0',
        BENCH_PROFILE_FILE: join(PROFILE_DIR, `usage-limit-host-${process.pid}.cpuprofile`),
      },
      options.profile ? [join(REPO, 'bench', 'dist', 'bench', 'cpu-profile.js')] : [],
    );
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    await waitForHost(server, agent, port);
    await seedActiveAccounts(databaseUrl, { count: options.accounts });
    const granted = await checkRoutes(agent, port, routes);
    const addGranted = (route: Route, phase: Phase) => granted.set(route, (granted.get(route) ?? 0) + phase.ok);

    for (const route of routes) addGranted(route, await runPhase(agent, port, route, { count: options.warmup }, options.concurrency, options.accounts, 0));

    const sent = new Map<Route, number>(routes.map((route) => [route, 0]));
    const tallies = new Map<Route, RouteTally>(routes.map((route) => [route, { phases: [], cpu: null, redisTicks: 0 }]));
    for (let round = 0; round < options.rounds; round++) {
      for (const route of orders[round % orders.length]) {
        const tally = tallies.get(route)!;
        const before: CpuSnapshot | null = cpuSnapshot(server.child.pid!, databaseName);
        const redisBefore = redisTicks();
        const phase = await runPhase(agent, port, route, { durationMs: options.roundMs }, options.concurrency, options.accounts, sent.get(route)!);
        sent.set(route, sent.get(route)! + phase.latencies.length);
        tally.redisTicks += redisTicks() - redisBefore;
        tally.cpu = tallyCpu(tally.cpu, before, cpuSnapshot(server.child.pid!, databaseName));
        tally.phases.push(phase);
        addGranted(route, phase);
      }
    }
    const summaries = new Map<Route, Summary>(routes.map((route) => [route, summarize(tallies.get(route)!)]));

    const fmt = (n: number, digits = 0, width = 8) => n.toFixed(digits).padStart(width);
    console.log(`\n  route                       req/s   p50 ms   p99 ms   errors   CPU per request, ms: server  postgres  redis  load gen.  anything else  (machine busy)`);
    let busyAll = 0;
    let elseAll = 0;
    for (const route of routes) {
      const s = summaries.get(route)!;
      const cpu = s.cpu;
      // Whatever the machine spent beside the bench's own processes: other people's jobs (backends of other databases included).
      const other = cpu ? Math.max(0, cpu.machine - cpu.server - cpu.postgres - s.redisMs - cpu.loadgen) : 0;
      if (cpu) {
        busyAll += cpu.machine * s.requests;
        elseAll += other * s.requests;
      }
      const cpuText = cpu
        ? `${fmt(cpu.server, 3, 27)} ${fmt(cpu.postgres, 3, 9)} ${fmt(s.redisMs, 3, 6)} ${fmt(cpu.loadgen, 3, 10)} ${fmt(other, 3, 14)}  (${(100 * cpu.machineBusy).toFixed(0)}%)`
        : '  (no /proc)';
      console.log(`  ${route.slice(1).padEnd(24)} ${fmt(s.rps)} ${fmt(s.p50, 2)} ${fmt(s.p99, 2)} ${fmt(s.errors)} ${cpuText}`);
    }
    const elseShare = busyAll > 0 ? elseAll / busyAll : 0;
    console.log(`\n  ratio (throughput)                      aggregate  median of rounds   p50     p99    per round`);
    for (const [a, b, what] of RATIOS) {
      if (!summaries.has(a) || !summaries.has(b)) continue;
      const q = ratio(summaries.get(a)!, summaries.get(b)!);
      console.log(
        `  ${`${a.slice(1)}/${b.slice(1)}`.padEnd(40)} ${`${q.throughput.toFixed(2)}×`.padStart(8)} ${`${q.median.toFixed(2)}×`.padStart(17)} ${`${q.p50.toFixed(2)}×`.padStart(7)} ${`${q.p99.toFixed(2)}×`.padStart(7)}   ${q.rounds.map((x) => x.toFixed(2)).join(' ')}   (${what})`,
      );
    }
    const redisRatio = ratio(summaries.get('/limited-redis')!, summaries.get('/unlimited')!);
    const pgRatio = ratio(summaries.get('/limited-pg')!, summaries.get('/unlimited')!);
    console.log(`\ntargets (median of the ${options.rounds} per-round throughput ratios of this run)`);
    console.log(
      `  Redis:      limited/unlimited  ${redisRatio.median.toFixed(3)}×  target ≥ ${TARGET_REDIS.toFixed(2)}×: ${redisRatio.median >= TARGET_REDIS ? 'met' : 'MISSED'}  (aggregate ${redisRatio.throughput.toFixed(3)}×)`,
    );
    console.log(`  PostgreSQL: limited/unlimited  ${pgRatio.median.toFixed(3)}×  no target, reported  (aggregate ${pgRatio.throughput.toFixed(3)}×)`);
    // The machine is CPU-bound in the rounds, so the throughput ratio should follow the CPU each request costs the bench's own processes.
    const ownCpu = (route: Route) => {
      const s = summaries.get(route)!;
      return s.cpu ? s.cpu.server + s.cpu.postgres + s.redisMs + s.cpu.loadgen : NaN;
    };
    if (!Number.isNaN(ownCpu('/unlimited'))) {
      const cost = (route: Route) => `${(ownCpu('/unlimited') / ownCpu(route)).toFixed(2)}× (${(1000 * ownCpu(route)).toFixed(0)} µs against ${(1000 * ownCpu('/unlimited')).toFixed(0)} µs)`;
      console.log(`  CPU per request of server + PostgreSQL + Redis + load generator, unlimited/limited (what a CPU-bound ratio should be): Redis ${cost('/limited-redis')}, PostgreSQL ${cost('/limited-pg')}`);
    }
    failed ||= routes.some((route) => summaries.get(route)!.errors > 0);
    for (const route of routes) {
      const sample = tallies.get(route)!.phases.find((p) => p.errorSample)?.errorSample;
      if (sample) console.log(`  ${route}: ${summaries.get(route)!.errors} failed requests, e.g. ${sample}`);
    }

    if (options.profile) await profileRoutes(server, agent, port, routes, options, granted);
    agent.destroy();

    const counted = await countedUses(databaseUrl, redis, prefix);
    const expectedPg = granted.get('/limited-pg') ?? 0;
    // The diagnostic route without the refund counts in the same counters as /limited-redis.
    const expectedRedis = (granted.get('/limited-redis') ?? 0) + (granted.get('/limited-redis-no-refund') ?? 0);
    const mark = (actual: number, expected: number) => `${actual} of ${expected} granted${actual === expected ? '' : ' MISMATCH'}`;
    console.log(`\ncounted uses: PostgreSQL ${mark(counted.pg, expectedPg)}; Redis ${mark(counted.redis, expectedRedis)}`);
    failed ||= counted.pg !== expectedPg || counted.redis !== expectedRedis;
    if (elseShare > 0.15) {
      console.log(`\nNote: "anything else" (other jobs on the machine) took ${(100 * elseShare).toFixed(0)}% of the busy CPU during the rounds (over 15%): do not use these figures.`);
    } else if (busyBefore !== null && busyBefore > 0.15) {
      console.log(`\nNote: the machine was ${(100 * busyBefore).toFixed(0)}% busy before the run started (someone else's load); the rounds' spread shows how much it mattered. Prefer figures from a quiet run.`);
    } else if (busyBefore === null && loadAtStart > availableParallelism() * 0.75) {
      console.log(`\nNote: 1-min load ${loadAtStart.toFixed(1)} on ${availableParallelism()} CPUs at the start; prefer figures from a quiet run.`);
    }
  } finally {
    if (server) await stopServer(server);
    const deleted = await deleteKeys(redis, prefix).catch((error: Error) => `not deleted (${error.message})`);
    await redis.quit().catch(() => redis.disconnect());
    await cleanup(options.serverUrl);
    console.log(`cleanup: database ${databaseName} dropped, Redis keys ${prefix}:* ${typeof deleted === 'number' ? `deleted (${deleted})` : deleted}; run took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  if (failed) {
    console.error('\nSome requests failed, or a store did not count what it granted: the figures are not valid.');
    process.exit(1);
  }
}

async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
