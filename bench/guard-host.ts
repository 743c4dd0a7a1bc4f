import { ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { freePort } from '../test/support/free-port';
import { join } from 'node:path';
import { withClient } from '../test/support/postgres-databases';
import { GUARD_HOST, GuardHostInfo } from './guard-host-config';
import { findRepoRoot } from './webhook-events';

/**
 * Running bench/guard-overhead-host.ts for the benches that talk to it (guard-overhead,
 * invalidation-latency): a fresh database, host processes on free ports, seeded subscriptions,
 * and plain keep-alive HTTP.
 */

const REPO = findRepoRoot(__dirname);
const HOST_SCRIPT = join(REPO, 'bench', 'dist', 'bench', 'guard-overhead-host.js');
/** No bench waits longer than this for one answer: a stuck server fails the run instead of hanging it. */
const REQUEST_TIMEOUT_MS = 15_000;

export type CacheSetting = 'off' | 'default';

export interface GuardHost {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A GET with the account in `x-user`; resolves to the status code. */
export function get(agent: Agent, port: number, path: string, user: string): Promise<number> {
  return getWith(agent, port, path, { 'x-user': user });
}

/** A GET with these headers; resolves to the status code. */
export function getWith(agent: Agent, port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${path} got no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A request with a body; resolves to the status code and the body. */
export function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path} got no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function hostInfo(port: number): Promise<GuardHostInfo> {
  const agent = new Agent({ keepAlive: false });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/bench-info', agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as GuardHostInfo);
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The cache option the host set, and what the module was seen to do with it, for the report. */
export function describeCache(info: GuardHostInfo): string {
  const option = info.cacheOption === 'off' ? 'entitlementCache: false' : 'entitlementCache left out (the module default)';
  const resolved =
    info.cacheInUse === undefined
      ? 'could not tell whether the module caches'
      : info.cacheInUse
        ? 'observed: lookups cached (peekEntitlement answers)'
        : 'observed: cache NOT in use (peekEntitlement never answers)';
  return `${option}; ${resolved}`;
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

/** Starts bench/guard-overhead-host.js on a free port (it runs the migrations) and waits until it answers. */
export async function startGuardHost(url: string, cache: CacheSetting): Promise<GuardHost> {
  const port = await freePort();
  const child = spawn(process.execPath, [HOST_SCRIPT], { cwd: REPO, env: { ...process.env, PORT: String(port), DATABASE_URL: url, CACHE: cache }, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitForServer(child, port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, child, stop };
}

export interface SeedOptions {
  /** Accounts `acct_0` … `acct_<count-1>`, subscriptions `sub_bench_<i>` of customers `cus_bench_<i>`. */
  count: number;
  /** The rows' `event_created` (unix seconds): later events win. @default now */
  eventCreated?: number;
}

/** Inserts one active, current, test-mode subscription per account, straight into the table. */
export async function seedActiveAccounts(url: string, { count, eventCreated }: SeedOptions): Promise<void> {
  await withClient(url, (c) =>
    c.query(
      `INSERT INTO litestripe_subscription (id, account_ref, customer_id, status, price_id, quantity, current_period_start, current_period_end, livemode, event_created, status_rank)
       SELECT 'sub_bench_' || i, 'acct_' || i, 'cus_bench_' || i, 'active', $3, 1, now() - interval '1 day', now() + interval '29 days', false,
              COALESCE($2::bigint, extract(epoch FROM now())::bigint), 2
       FROM generate_series(0, $1::int - 1) AS i`,
      [count, eventCreated ?? null, GUARD_HOST.priceId],
    ),
  );
}

/** One kind of request run at a fixed concurrency: its elapsed time, each request's latency, and the non-200 answers. */
export interface Phase {
  elapsedMs: number;
  latencies: number[];
  errors: number;
}

/** The median of `values`, in any order. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
