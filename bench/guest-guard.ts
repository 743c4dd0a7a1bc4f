import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { createDatabase, dropDatabase, withClient } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import { GUARD_HOST } from './guard-host-config';
import { getWith, median, percentile, Phase, seedActiveAccounts, startGuardHost } from './guard-host';
import { machineLine } from './machine-line';

/**
 * bench/guest-guard: what a guest's access token costs at `SubscriptionGuard`, against an account.
 * The host of bench/guard-overhead (entitlement cache at its default) serves `@RequiresSubscription()`
 * to three kinds of request, measured in one run over A accounts and A guests, each with an active
 * subscription:
 *
 * - `account`: `x-user: acct_<i>` (the account's rows from the entitlement cache);
 * - `guest`: `x-guest-token: lsg_…` and no account: the token's selector read from
 *   `litestripe_guest_token` (one indexed query, never cached, so a revocation counts at once), the
 *   verifier hashed and compared, then the guest's rows from the cache;
 * - `query`: no guard, the guard's indexed subscription query by account (bench/guard-overhead's
 *   `/unguarded-query`): the price of one query through the same pool, the floor of the guest's extra work.
 *
 * Rounds cycle through the three rotations of the order, so each kind runs first equally often.
 * Prints req/s and p50/p99 of each, and guest/account and guest/query as the median of the
 * per-round throughput ratios.
 *
 *   npm run bench:guest-guard -- [--requests 12000] [--rounds 6] [--concurrency 32] [--guests 1000] [--warmup 3000] [--database-url URL]
 */

const KINDS = ['account', 'guest', 'query'] as const;
type Kind = (typeof KINDS)[number];
const ORDERS: Kind[][] = [0, 1, 2].map((shift) => KINDS.map((_, i) => KINDS[(i + shift) % KINDS.length]));

interface Options {
  requests: number;
  rounds: number;
  concurrency: number;
  guests: number;
  warmup: number;
  serverUrl: string;
}

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['requests', 'rounds', 'concurrency', 'guests', 'warmup', 'database-url']);
  return {
    requests: flags.wholeNumber('requests', 12_000, 100),
    rounds: flags.wholeNumber('rounds', 6, 1),
    concurrency: flags.wholeNumber('concurrency', 32, 1),
    guests: flags.wholeNumber('guests', 1000, 1),
    warmup: flags.wholeNumber('warmup', 3000, 0),
    serverUrl: flags.serverUrl(),
  };
}

/** A guest per index with an active subscription and one valid token, as the module stores them (selector, SHA-256 of the verifier); returns the tokens. */
async function seedGuests(url: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomBytes(16).toString('base64url'));
  const selectors = ids.map(() => randomBytes(16).toString('base64url'));
  const verifiers = ids.map(() => randomBytes(32).toString('base64url'));
  const hashes = verifiers.map((verifier) => createHash('sha256').update(verifier).digest());
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO litestripe_subscription (id, account_ref, customer_id, status, price_id, quantity, current_period_start, current_period_end, livemode, event_created, status_rank)
       SELECT 'sub_guest_' || n, 'guest:' || id, 'cus_guest_' || n, 'active', $2, 1, now() - interval '1 day', now() + interval '29 days', false, extract(epoch FROM now())::bigint, 2
       FROM unnest($1::text[]) WITH ORDINALITY AS g(id, n)`,
      [ids, GUARD_HOST.priceId],
    );
    await c.query(
      `INSERT INTO litestripe_guest (id, livemode, checkout_session_id, subscription_id, customer_id)
       SELECT id, false, 'cs_guest_' || n, 'sub_guest_' || n, 'cus_guest_' || n FROM unnest($1::text[]) WITH ORDINALITY AS g(id, n)`,
      [ids],
    );
    await c.query(`INSERT INTO litestripe_guest_token (selector, guest_id, verifier_hash) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])`, [selectors, ids, hashes]);
  });
  return ids.map((_, i) => `lsg_${selectors[i]}.${verifiers[i]}`);
}

function requestOf(kind: Kind, i: number, tokens: readonly string[]): { path: string; headers: Record<string, string> } {
  const n = i % tokens.length;
  if (kind === 'guest') return { path: '/guarded', headers: { 'x-guest-token': tokens[n] } };
  return { path: kind === 'account' ? '/guarded' : '/unguarded-query', headers: { 'x-user': `acct_${n}` } };
}

async function runPhase(agent: Agent, port: number, kind: Kind, count: number, options: Options, tokens: readonly string[], offset: number): Promise<Phase> {
  const latencies = new Array<number>(count);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const { path, headers } = requestOf(kind, offset + i, tokens);
      const t0 = performance.now();
      const status = await getWith(agent, port, path, headers).catch(() => 0);
      latencies[i] = performance.now() - t0;
      if (status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { elapsedMs: performance.now() - started, latencies, errors };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(`guest-guard: ${options.requests} requests per kind, ${options.rounds} rounds, concurrency ${options.concurrency}, ${options.guests} guests and accounts, warm-up ${options.warmup}; ${machineLine()}`);
  const name = `litestripe_bench_guest_${process.pid}`;
  const url = await createDatabase(options.serverUrl, name);
  let host: Awaited<ReturnType<typeof startGuardHost>> | undefined;
  try {
    host = await startGuardHost(url, 'default');
    const { port } = host;
    await seedActiveAccounts(url, { count: options.guests });
    const tokens = await seedGuests(url, options.guests);
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const wrong = `${tokens[0].slice(0, -4)}AAAA`;
    if ((await getWith(agent, port, '/guarded', { 'x-guest-token': wrong })) !== 401) throw new Error('The guard let a wrong token in: the benchmark would measure nothing');
    if ((await getWith(agent, port, '/guarded', { 'x-guest-token': tokens[0] })) !== 200) throw new Error('The guard shut out a seeded guest');
    for (const kind of KINDS) await runPhase(agent, port, kind, options.warmup, options, tokens, 0);
    const perRound = Math.ceil(options.requests / options.rounds);
    const phases = Object.fromEntries(KINDS.map((kind) => [kind, [] as Phase[]])) as Record<Kind, Phase[]>;
    for (let round = 0; round < options.rounds; round++) {
      for (const kind of ORDERS[round % ORDERS.length]) phases[kind].push(await runPhase(agent, port, kind, perRound, options, tokens, round * perRound));
    }
    agent.destroy();

    const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);
    console.log(`  kind          req/s   p50 ms   p99 ms   errors`);
    for (const kind of KINDS) {
      const latencies = phases[kind].flatMap((p) => p.latencies).sort((a, b) => a - b);
      const elapsed = phases[kind].reduce((sum, p) => sum + p.elapsedMs, 0);
      const errors = phases[kind].reduce((sum, p) => sum + p.errors, 0);
      console.log(`  ${kind.padEnd(10)} ${fmt(latencies.length / (elapsed / 1000))} ${fmt(percentile(latencies, 50), 2)} ${fmt(percentile(latencies, 99), 2)} ${fmt(errors)}`);
      if (errors > 0) process.exitCode = 1;
    }
    for (const [a, b] of [['guest', 'account'], ['guest', 'query']] as const) {
      const rounds = phases[a].map((phase, i) => phases[b][i].elapsedMs / phase.elapsedMs);
      console.log(`  ${`${a}/${b}`.padEnd(14)} median of rounds ${median(rounds).toFixed(2)}×   per round ${rounds.map((x) => x.toFixed(2)).join(' ')}`);
    }
    if (process.exitCode) console.error('Some requests failed (non-200): the figures are not valid.');
  } finally {
    await host?.stop();
    await dropDatabase(options.serverUrl, name);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
