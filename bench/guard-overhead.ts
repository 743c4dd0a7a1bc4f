import { Agent } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { GuardHostInfo } from './guard-host-config';
import { createDatabase, dropDatabase } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import { CacheSetting, describeCache, get, hostInfo, median, percentile, Phase, seedActiveAccounts, startGuardHost } from './guard-host';
import { machineLine } from './machine-line';

/**
 * bench/guard-overhead: what `SubscriptionGuard` costs a request. One server process
 * (bench/guard-overhead-host.ts) serves four routes that return the same constant:
 *
 * - `/unguarded`: nothing else (the floor of the framework);
 * - `/noop-guarded`: behind a guard that only returns true (`@UseGuards(AllowAllGuard)`): the
 *   floor of Nest's guard machinery, which any guard pays and the library cannot remove;
 * - `/unguarded-query`: no guard, but the guard's indexed query (`SELECT <columns> FROM
 *   litestripe_subscription WHERE "account_ref" = $1 AND "livemode" = $2`) through the same pool:
 *   the fair baseline of an uncached lookup;
 * - `/guarded`: `@RequiresSubscription()` (resolve the account, its rows from the cache or one
 *   indexed query, apply the rules).
 *
 * It runs once with the entitlement cache off (`entitlementCache: false`) and once with the option
 * left out (the module's default). Requests go over keep-alive connections at a fixed concurrency,
 * spread over A accounts that all hold an active subscription, in R rounds. The rounds' route
 * orders cycle through the four rows of a Williams square ({@link ORDERS}): each route comes
 * first, and follows each other route, equally often, so that load from elsewhere on the machine
 * (and whatever one route leaves behind for the next) falls on all alike. Prints requests/s and
 * p50/p99 of each route, and the ratios both over the whole run (aggregate throughput) and as the
 * median of the per-round ratios. The two targets are judged on the median, which one disturbed
 * round cannot move:
 *
 * - cache at the default: guarded/unguarded ≥ 0.95×;
 * - cache off: guarded/unguarded-query ≥ 0.9×.
 *
 * A missed target is reported, not an error; the exit code is 1 only if requests failed.
 *
 *   npx tsc -p bench/tsconfig.json && node scripts/package-alias.js bench/dist && node bench/dist/bench/guard-overhead.js
 *     [--requests 20000] [--rounds 8] [--concurrency 32] [--accounts 1000] [--warmup 4000] [--database-url URL]
 */

interface Options {
  requests: number;
  rounds: number;
  concurrency: number;
  accounts: number;
  warmup: number;
  serverUrl: string;
}

const ROUTES = ['/unguarded', '/noop-guarded', '/guarded', '/unguarded-query'] as const;
type Route = (typeof ROUTES)[number];

/**
 * A Williams square over ROUTES: the cyclic shifts of the order 0, 1, 3, 2. Each route runs
 * first once, and each ordered pair of routes is adjacent once, in the four rows; round r runs
 * ORDERS[r % 4], so a multiple of 4 rounds is balanced.
 */
const ORDERS: Route[][] = [0, 1, 2, 3].map((shift) => [0, 1, 3, 2].map((i) => ROUTES[(i + shift) % ROUTES.length]));

/** The ratios printed for each setting: [numerator, denominator, what it shows]. */
const RATIOS: [Route, Route, string][] = [
  ['/guarded', '/unguarded', 'the whole guard'],
  ['/noop-guarded', '/unguarded', "the floor: Nest's guard machinery"],
  ['/guarded', '/noop-guarded', "the library's own share"],
  ['/guarded', '/unguarded-query', 'against an uncached lookup'],
];

const TARGETS = { cachedVsUnguarded: 0.95, uncachedVsQuery: 0.9 } as const;

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['requests', 'rounds', 'concurrency', 'accounts', 'warmup', 'database-url']);
  const int = (name: string, fallback: number, min: number) => flags.wholeNumber(name, fallback, min);
  return {
    requests: int('requests', 20_000, 100),
    rounds: int('rounds', 8, 1),
    concurrency: int('concurrency', 32, 1),
    accounts: int('accounts', 1000, 1),
    warmup: int('warmup', 4000, 0),
    serverUrl: flags.serverUrl(),
  };
}

async function runPhase(agent: Agent, port: number, path: string, count: number, concurrency: number, accounts: number, offset: number): Promise<Phase> {
  const latencies = new Array<number>(count);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      const status = await get(agent, port, path, `acct_${(offset + i) % accounts}`).catch(() => 0);
      latencies[i] = performance.now() - t0;
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { elapsedMs: performance.now() - started, latencies, errors };
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Elapsed time of each round. */
  roundMs: number[];
}

function summarize(phases: Phase[]): Summary {
  const latencies = phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const elapsed = phases.reduce((sum, p) => sum + p.elapsedMs, 0);
  return {
    rps: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: phases.reduce((s, p) => s + p.errors, 0),
    roundMs: phases.map((p) => p.elapsedMs),
  };
}

interface Measurement {
  routes: Record<Route, Summary>;
  info: GuardHostInfo;
}

async function measure(options: Options, cache: CacheSetting): Promise<Measurement> {
  const name = `litestripe_bench_guard_${cache}_${process.pid}`;
  const url = await createDatabase(options.serverUrl, name);
  let host: Awaited<ReturnType<typeof startGuardHost>> | undefined;
  try {
    host = await startGuardHost(url, cache);
    const { port } = host;
    const info = await hostInfo(port);
    await seedActiveAccounts(url, { count: options.accounts });
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    if ((await get(agent, port, '/guarded', 'acct_nobody')) !== 403) throw new Error('The guard let an account without a subscription in: the benchmark would measure nothing');
    if ((await get(agent, port, '/guarded', 'acct_0')) !== 200) throw new Error('The guard shut out a seeded account with an active subscription');
    if ((await get(agent, port, '/noop-guarded', 'acct_nobody')) !== 200) throw new Error('/noop-guarded did not let every request through');
    if ((await get(agent, port, '/unguarded-query', 'acct_0')) !== 200) throw new Error('/unguarded-query failed');
    for (const route of ROUTES) await runPhase(agent, port, route, options.warmup, options.concurrency, options.accounts, 0);
    const perRound = Math.ceil(options.requests / options.rounds);
    const phases = Object.fromEntries(ROUTES.map((route) => [route, [] as Phase[]])) as Record<Route, Phase[]>;
    for (let round = 0; round < options.rounds; round++) {
      for (const route of ORDERS[round % ORDERS.length]) {
        phases[route].push(await runPhase(agent, port, route, perRound, options.concurrency, options.accounts, round * perRound));
      }
    }
    agent.destroy();
    return { routes: Object.fromEntries(ROUTES.map((route) => [route, summarize(phases[route])])) as Record<Route, Summary>, info };
  } finally {
    await host?.stop();
    await dropDatabase(options.serverUrl, name);
  }
}

interface Ratio {
  /** Aggregate: all of a's requests over all of its time, against the same for b. */
  throughput: number;
  /** The median of the per-round throughput ratios. */
  median: number;
  p99: number;
  /** Per round (same requests per round, so the inverse ratio of elapsed times). */
  rounds: number[];
}

function ratio(a: Summary, b: Summary): Ratio {
  const rounds = a.roundMs.map((ms, i) => b.roundMs[i] / ms);
  return { throughput: a.rps / b.rps, median: median(rounds), p99: a.p99 / b.p99, rounds };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(
    `guard-overhead: ${options.requests} requests per route and setting, ${options.rounds} rounds, concurrency ${options.concurrency}, ${options.accounts} accounts, warm-up ${options.warmup}; ${machineLine()}`,
  );
  console.log(`route orders (round r runs order r mod ${ORDERS.length}): ${ORDERS.map((order) => order.map((route) => route.slice(1)).join(' > ')).join('; ')}`);
  if (options.rounds % ORDERS.length !== 0) {
    console.log(`Note: ${options.rounds} rounds is not a multiple of ${ORDERS.length}, so the route orders are not balanced.`);
  }
  const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);
  // Only the load before the run says something about other jobs: during it, the bench's own processes keep the cores busy.
  const loadAtStart = loadavg()[0];
  const noisy = loadAtStart > availableParallelism() * 0.75;
  let failed = false;
  const results: Partial<Record<CacheSetting, Measurement>> = {};
  for (const cache of ['off', 'default'] as const) {
    const result = (results[cache] = await measure(options, cache));
    const r = result.routes;
    console.log(`\ncache ${cache} (${describeCache(result.info)})`);
    console.log(`  route              req/s   p50 ms   p99 ms   errors`);
    for (const route of ROUTES) {
      const s = r[route];
      console.log(`  ${route.slice(1).padEnd(15)} ${fmt(s.rps)} ${fmt(s.p50, 2)} ${fmt(s.p99, 2)} ${fmt(s.errors)}`);
    }
    console.log(`  ratio (throughput)              aggregate  median of rounds  p99     per round`);
    for (const [a, b, what] of RATIOS) {
      const q = ratio(r[a], r[b]);
      console.log(
        `  ${`${a.slice(1)}/${b.slice(1)}`.padEnd(30)} ${`${q.throughput.toFixed(2)}×`.padStart(10)} ${`${q.median.toFixed(2)}×`.padStart(17)} ${`${q.p99.toFixed(2)}×`.padStart(6)}   ${q.rounds.map((x) => x.toFixed(2)).join(' ')}   (${what})`,
      );
    }
    failed ||= ROUTES.some((route) => r[route].errors > 0);
  }

  const cached = ratio(results.default!.routes['/guarded'], results.default!.routes['/unguarded']);
  const uncached = ratio(results.off!.routes['/guarded'], results.off!.routes['/unguarded-query']);
  const verdict = (q: Ratio, threshold: number) =>
    `${q.median.toFixed(3)}×  target ≥ ${threshold.toFixed(2)}×: ${q.median >= threshold ? 'met' : 'MISSED'}  (aggregate ${q.throughput.toFixed(3)}×)`;
  console.log(`\ntargets (median of the ${options.rounds} per-round throughput ratios of this run)`);
  console.log(`  cache at the default: guarded/unguarded         ${verdict(cached, TARGETS.cachedVsUnguarded)}`);
  console.log(`  cache off:            guarded/unguarded-query   ${verdict(uncached, TARGETS.uncachedVsQuery)}`);
  if (results.default!.info.cacheInUse === false) {
    console.log(`  note: with the option left out this library version runs WITHOUT the cache, so "cache default" measured no cache.`);
  }
  if (noisy) {
    console.log(`\nNote: the machine was busy when the run started (1-min load ${loadAtStart.toFixed(1)} on ${availableParallelism()} CPUs); the rounds' spread shows how much. Prefer figures from a quiet run.`);
  }
  if (failed) {
    console.error('\nSome requests failed (non-200): the figures are not valid.');
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
