import { ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findRepoRoot } from './webhook-events';

/**
 * bench/guard-overhead: what `SubscriptionGuard` costs a request. One server process
 * (bench/guard-overhead-host.ts) serves the same trivial route twice, `/unguarded` and `/guarded`
 * (`@RequiresSubscription()`: resolve the account, one indexed query, apply the rules); it runs once
 * with the entitlement cache off and once with it on. Requests go over keep-alive connections at a
 * fixed concurrency, spread over A accounts that all hold an active subscription, in R rounds that
 * alternate which route goes first, so that load from elsewhere on the machine falls on both alike.
 * Prints requests/s and p50/p99 of each route and the ratio guarded/unguarded, per cache setting.
 *
 *   npx tsc -p bench/tsconfig.json && node bench/dist/bench/guard-overhead.js
 *     [--requests 20000] [--rounds 4] [--concurrency 32] [--accounts 1000] [--warmup 4000] [--database-url URL]
 */

interface Options {
  requests: number;
  rounds: number;
  concurrency: number;
  accounts: number;
  warmup: number;
  serverUrl: string;
}

interface Phase {
  elapsedMs: number;
  latencies: number[];
  errors: number;
}

const REPO = findRepoRoot(__dirname);
const HOST_SCRIPT = join(REPO, 'bench', 'dist', 'bench', 'guard-overhead-host.js');

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`Unexpected argument ${argv[i]}`);
    const [name, inline] = argv[i].slice(2).split('=', 2);
    flags.set(name, inline ?? argv[++i] ?? '');
  }
  const known = ['requests', 'rounds', 'concurrency', 'accounts', 'warmup', 'database-url'];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`Unknown flag --${name}; known: ${known.join(', ')}`);
  const int = (name: string, fallback: number, min: number) => {
    const value = Number(flags.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}`);
    return value;
  };
  return {
    requests: int('requests', 20_000, 100),
    rounds: int('rounds', 4, 1),
    concurrency: int('concurrency', 32, 1),
    accounts: int('accounts', 1000, 1),
    warmup: int('warmup', 4000, 0),
    serverUrl: flags.get('database-url') ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(agent: Agent, port: number, path: string, user: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { 'x-user': user } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForServer(child: ChildProcess, port: number): Promise<void> {
  const agent = new Agent({ keepAlive: false });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The bench host exited with ${child.exitCode}`);
    if (await get(agent, port, '/unguarded', 'probe').catch(() => 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('The bench host did not answer within 60 s');
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(phases: Phase[]) {
  const latencies = phases.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const elapsed = phases.reduce((sum, p) => sum + p.elapsedMs, 0);
  return { rps: latencies.length / (elapsed / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors: phases.reduce((s, p) => s + p.errors, 0) };
}

async function measure(options: Options, cache: 'off' | 'on'): Promise<{ unguarded: ReturnType<typeof summarize>; guarded: ReturnType<typeof summarize>; roundRatios: number[] }> {
  const name = `litestripe_bench_guard_${cache}_${process.pid}`;
  await withClient(options.serverUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const url = databaseUrl(options.serverUrl, name);
  const port = await freePort();
  const child = spawn(process.execPath, [HOST_SCRIPT], { cwd: REPO, env: { ...process.env, PORT: String(port), DATABASE_URL: url, CACHE: cache }, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    await waitForServer(child, port);
    await withClient(url, (c) =>
      c.query(
        `INSERT INTO litestripe_subscription (id, account_ref, customer_id, status, price_id, quantity, current_period_start, current_period_end, livemode, event_created, status_rank)
         SELECT 'sub_bench_' || i, 'acct_' || i, 'cus_bench_' || i, 'active', 'price_bench_pro', 1, now() - interval '1 day', now() + interval '29 days', false, extract(epoch FROM now())::bigint, 2
         FROM generate_series(0, $1::int - 1) AS i`,
        [options.accounts],
      ),
    );
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    if ((await get(agent, port, '/guarded', 'acct_nobody')) !== 403) throw new Error('The guard let an account without a subscription in: the benchmark would measure nothing');
    await runPhase(agent, port, '/unguarded', options.warmup, options.concurrency, options.accounts, 0);
    await runPhase(agent, port, '/guarded', options.warmup, options.concurrency, options.accounts, 0);
    const perRound = Math.ceil(options.requests / options.rounds);
    const unguarded: Phase[] = [];
    const guarded: Phase[] = [];
    const roundRatios: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (['/unguarded', '/guarded'] as const) : (['/guarded', '/unguarded'] as const);
      const results: Record<string, Phase> = {};
      for (const path of order) results[path] = await runPhase(agent, port, path, perRound, options.concurrency, options.accounts, round * perRound);
      unguarded.push(results['/unguarded']);
      guarded.push(results['/guarded']);
      roundRatios.push(results['/unguarded'].elapsedMs / results['/guarded'].elapsedMs);
    }
    agent.destroy();
    return { unguarded: summarize(unguarded), guarded: summarize(guarded), roundRatios };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    await withClient(options.serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(
    `guard-overhead: ${options.requests} requests per route and setting, ${options.rounds} rounds, concurrency ${options.concurrency}, ${options.accounts} accounts, warm-up ${options.warmup}; Node ${process.version}`,
  );
  const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);
  const busy = () => loadavg()[0] > availableParallelism() * 0.75;
  let noisy = busy();
  let failed = false;
  for (const cache of ['off', 'on'] as const) {
    const { unguarded, guarded, roundRatios } = await measure(options, cache);
    console.log(`\ncache ${cache}`);
    console.log(`  route        req/s       p50 ms   p99 ms   errors`);
    console.log(`  unguarded ${fmt(unguarded.rps)} ${fmt(unguarded.p50, 2)} ${fmt(unguarded.p99, 2)} ${fmt(unguarded.errors)}`);
    console.log(`  guarded   ${fmt(guarded.rps)} ${fmt(guarded.p50, 2)} ${fmt(guarded.p99, 2)} ${fmt(guarded.errors)}`);
    console.log(`  ratio guarded/unguarded: throughput ${(guarded.rps / unguarded.rps).toFixed(2)}×, p99 ${(guarded.p99 / unguarded.p99).toFixed(2)}×; per round: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}`);
    failed ||= unguarded.errors + guarded.errors > 0;
    noisy ||= busy();
  }
  if (noisy) {
    console.log(`\nNote: the machine was busy (1-min load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs); the rounds' spread shows how much. Prefer figures from a quiet run.`);
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
