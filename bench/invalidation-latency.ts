import { Agent } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { buildStripeEvent, signedDelivery } from '@litestripe/nestjs/testing';
import { subscriptionObject } from '../test/support/stripe-objects';
import { GUARD_HOST, GUARD_HOST_WEBHOOK_PATH } from './guard-host-config';
import { createDatabase, dropDatabase } from '../test/support/postgres-databases';
import { readFlags } from './bench-flags';
import { describeCache, get, GuardHost, hostInfo, percentile, seedActiveAccounts, send, startGuardHost } from './guard-host';
import { machineLine } from './machine-line';
import { ensureFixtures } from './webhook-events';

/**
 * bench/invalidation-latency: how long after a subscription change commits on one instance
 * another instance's `SubscriptionGuard` still answers from the old state. Two server processes, A
 * and B (bench/guard-overhead-host.ts, the entitlement cache at the module default), share one
 * fresh database with S seeded accounts, each holding an active subscription; both caches are
 * warmed for every account. Then, for each of N changes, one account's subscription flips between
 * `active` (guard: 200) and `past_due` (no grace: 403) through A: a signed
 * `customer.subscription.updated` webhook posted to A, dated a second after the previous event.
 * From the moment A answered 2xx (the change is committed), B's guarded route is asked in a tight
 * loop, one request at a time over keep-alive, until its answer changes; that time is the latency.
 * A's own guarded route is asked the same way at the same time (read-your-writes on the writing
 * instance). A change whose new state B has not shown after the per-change timeout counts as timed
 * out (and as infinitely late in the percentiles); after M timeouts the run stops early, so that a
 * library without cross-instance invalidation cannot keep it running for N × timeout.
 *
 * Before measuring, a check: on an account without a subscription, a first event must make A's
 * guard answer 200 and a second 403. Before each change, both instances must still answer the old
 * state; a change is skipped (and counted) when B still shows an earlier change's stale state.
 *
 * Target: p99 on B < 50 ms. Same-run baseline: the round trip of one cached guarded request.
 * A missed target is reported, not an error; the exit code is 1 only for failed requests or checks.
 *
 *   npx tsc -p bench/tsconfig.json && node scripts/package-alias.js bench/dist && node bench/dist/bench/invalidation-latency.js
 *     [--changes 200] [--accounts 50] [--timeout-ms 2000] [--max-timeouts 10] [--rtt-samples 200] [--database-url URL]
 */

interface Options {
  changes: number;
  accounts: number;
  timeoutMs: number;
  maxTimeouts: number;
  rttSamples: number;
  serverUrl: string;
}

type Status = 'active' | 'past_due';
const ANSWER: Record<Status, number> = { active: 200, past_due: 403 };
const TARGET_P99_MS = 50;
const DAY = 86_400;

function parseOptions(argv: string[]): Options {
  const flags = readFlags(argv, ['changes', 'accounts', 'timeout-ms', 'max-timeouts', 'rtt-samples', 'database-url']);
  const int = (name: string, fallback: number, min: number) => flags.wholeNumber(name, fallback, min);
  return {
    changes: int('changes', 200, 1),
    accounts: int('accounts', 50, 1),
    timeoutMs: int('timeout-ms', 2000, 10),
    maxTimeouts: int('max-timeouts', 10, 0),
    rttSamples: int('rtt-samples', 200, 1),
    serverUrl: flags.serverUrl(),
  };
}

/** Builds and signs events for subscription `sub_bench_<key>` of account `acct_<key>`, each dated a second after the last. */
class ChangeFeed {
  private created: number;
  private readonly periodStart = Math.floor(Date.now() / 1000) - DAY;

  /** `after`: the seeded rows' `event_created`; events are dated after it, and never in the future. */
  constructor(after: number) {
    this.created = after;
  }

  async delivery(key: string, from: Status | null, to: Status): Promise<{ body: Buffer; headers: Record<string, string> }> {
    this.created += 1;
    if (this.created > Date.now() / 1000) throw new Error('Too many changes for the seeded rows’ dates: events would be dated in the future');
    const subscription = subscriptionObject(
      {
        id: `sub_bench_${key}`,
        customer: `cus_bench_${key}`,
        status: to,
        priceId: GUARD_HOST.priceId,
        periodStart: this.periodStart,
        periodEnd: this.periodStart + 30 * DAY,
        metadata: { client_reference_id: `acct_${key}` },
      },
      'current',
    );
    const event = buildStripeEvent('customer.subscription.updated', subscription, { created: this.created, ...(from ? { previousAttributes: { status: from } } : {}) });
    const { body, headers } = await signedDelivery(event, GUARD_HOST.webhookSecret);
    return { body: Buffer.from(body), headers };
  }
}

/** Posts a delivery to A's webhook; fails unless A answered 2xx and applied it. */
async function postChange(agent: Agent, a: GuardHost, delivery: { body: Buffer; headers: Record<string, string> }): Promise<void> {
  const { status, body } = await send(agent, a.port, 'POST', GUARD_HOST_WEBHOOK_PATH, delivery.headers, delivery.body);
  if (status < 200 || status >= 300) throw new Error(`A answered the webhook with ${status}: ${body}`);
  const outcome = (JSON.parse(body) as { outcome?: string }).outcome;
  if (outcome !== 'processed') throw new Error(`A did not apply the event (outcome ${outcome}): ${body}`);
}

/**
 * Asks `/guarded` for `user`, one request at a time, until it answers `expected`: the time from
 * `t0` to that answer (null when `timeoutMs` passed first), and how many answers before it were
 * still the old state.
 */
async function pollUntil(agent: Agent, host: GuardHost, user: string, expected: number, t0: number, timeoutMs: number): Promise<{ ms: number | null; stale: number }> {
  for (let stale = 0; ; stale++) {
    const status = await get(agent, host.port, '/guarded', user);
    const elapsed = performance.now() - t0;
    if (status === expected) return { ms: elapsed, stale };
    if (status !== 200 && status !== 403) throw new Error(`/guarded answered ${status} for ${user}`);
    if (elapsed >= timeoutMs) return { ms: null, stale: stale + 1 };
  }
}

async function roundTrips(agent: Agent, host: GuardHost, samples: number, accounts: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const status = await get(agent, host.port, '/guarded', `acct_${i % accounts}`);
    times.push(performance.now() - t0);
    if (status !== 200) throw new Error(`/guarded answered ${status} for acct_${i % accounts} during the round-trip baseline`);
  }
  return times.sort((x, y) => x - y);
}

interface Latencies {
  /** Milliseconds per measured change; Infinity for a timeout. */
  times: number[];
  timeouts: number;
  /** Changes after whose 2xx the instance answered the old state at least once. */
  staleChanges: number;
}

function record(into: Latencies, result: { ms: number | null; stale: number }): void {
  into.times.push(result.ms ?? Infinity);
  if (result.ms === null) into.timeouts++;
  if (result.stale > 0) into.staleChanges++;
}

function line(label: string, { times, timeouts, staleChanges }: Latencies, timeoutMs: number): string {
  const sorted = [...times].sort((x, y) => (x === y ? 0 : x - y));
  const fmt = (ms: number | undefined) => (ms === undefined ? '-' : Number.isFinite(ms) ? ms.toFixed(2) : `>${timeoutMs}`).padStart(8);
  const at = (p: number) => (sorted.length ? percentile(sorted, p) : undefined);
  return `  ${label.padEnd(22)} ${fmt(at(50))} ${fmt(at(90))} ${fmt(at(99))} ${fmt(sorted[sorted.length - 1])}   ${`${timeouts} of ${times.length}`.padEnd(10)} ${staleChanges} of ${times.length}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Only the load before the run says something about other jobs: during it, the bench's own processes keep the cores busy.
  const loadAtStart = loadavg()[0];
  ensureFixtures();
  console.log(
    `invalidation-latency: ${options.changes} changes over ${options.accounts} accounts, per-change timeout ${options.timeoutMs} ms, ` +
      `${options.maxTimeouts ? `stop after ${options.maxTimeouts} timeouts` : 'no early stop'}; ${machineLine()}`,
  );
  const name = `litestripe_bench_invalidation_${process.pid}`;
  const url = await createDatabase(options.serverUrl, name);
  const hosts: GuardHost[] = [];
  const agents: Agent[] = [];
  try {
    // One after the other: A runs the migrations, B finds them done.
    const a = await startGuardHost(url, 'default');
    hosts.push(a);
    const b = await startGuardHost(url, 'default');
    hosts.push(b);
    console.log(`A: ${describeCache(await hostInfo(a.port))}`);
    console.log(`B: ${describeCache(await hostInfo(b.port))}`);

    const seededAt = Math.floor(Date.now() / 1000) - DAY;
    await seedActiveAccounts(url, { count: options.accounts, eventCreated: seededAt });
    const feed = new ChangeFeed(seededAt);
    const [agentA, agentB, agentHook] = [1, 2, 3].map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
    agents.push(agentA, agentB, agentHook);

    // The check: a first event lets an account without a subscription in, a second shuts it out.
    if ((await get(agentA, a.port, '/guarded', 'acct_check')) !== 403) throw new Error('The guard let an account without a subscription in: the benchmark would measure nothing');
    for (const [from, to] of [
      [null, 'active'],
      ['active', 'past_due'],
    ] as const) {
      await postChange(agentHook, a, await feed.delivery('check', from, to));
      if ((await pollUntil(agentA, a, 'acct_check', ANSWER[to], performance.now(), options.timeoutMs)).ms === null) {
        throw new Error(`After a ${to} event A's guard did not answer ${ANSWER[to]} within ${options.timeoutMs} ms: the benchmark would measure nothing`);
      }
    }
    console.log(`check: on A, a signed customer.subscription.updated (active) made the guard answer 200, the next (past_due) 403`);

    // Warm both caches for every account, then the same-run baseline: one cached guarded request.
    for (let i = 0; i < options.accounts; i++) {
      for (const [agent, host, label] of [
        [agentA, a, 'A'],
        [agentB, b, 'B'],
      ] as const) {
        const status = await get(agent, host.port, '/guarded', `acct_${i}`);
        if (status !== 200) throw new Error(`${label} answered ${status} for the seeded acct_${i}`);
      }
    }
    const rttB = await roundTrips(agentB, b, options.rttSamples, options.accounts);
    const rttA = await roundTrips(agentA, a, options.rttSamples, options.accounts);

    const states: Status[] = Array.from({ length: options.accounts }, () => 'active');
    const onB: Latencies = { times: [], timeouts: 0, staleChanges: 0 };
    const onA: Latencies = { times: [], timeouts: 0, staleChanges: 0 };
    const commits: number[] = [];
    let skipped = 0;
    let stoppedAt: number | null = null;
    for (let i = 0; i < options.changes; i++) {
      const k = i % options.accounts;
      const user = `acct_${k}`;
      const from = states[k];
      const to: Status = from === 'active' ? 'past_due' : 'active';
      const before = ANSWER[from];
      const [preA, preB] = [await get(agentA, a.port, '/guarded', user), await get(agentB, b.port, '/guarded', user)];
      if (preA !== before) throw new Error(`A answered ${preA} for ${user} before change ${i}, expected ${before}`);
      if (preB !== before) {
        skipped++; // B still shows the state before an earlier change of this account (which timed out)
        continue;
      }
      const delivery = await feed.delivery(String(k), from, to);
      const posted = performance.now();
      await postChange(agentHook, a, delivery);
      const t0 = performance.now();
      commits.push(t0 - posted);
      const [latencyB, latencyA] = await Promise.all([
        pollUntil(agentB, b, user, ANSWER[to], t0, options.timeoutMs),
        pollUntil(agentA, a, user, ANSWER[to], t0, options.timeoutMs),
      ]);
      states[k] = to;
      record(onB, latencyB);
      record(onA, latencyA);
      if (options.maxTimeouts > 0 && onB.timeouts >= options.maxTimeouts) {
        stoppedAt = i + 1;
        break;
      }
    }

    const p50 = (sorted: number[]) => (sorted.length ? percentile(sorted, 50).toFixed(2) : '-');
    commits.sort((x, y) => x - y);
    console.log(`\nround trip of one cached guarded request (keep-alive, ${options.rttSamples} sequential): B p50 ${p50(rttB)} ms, A p50 ${p50(rttA)} ms`);
    console.log(`webhook on A (POST until its 2xx: verified, applied, committed): p50 ${p50(commits)} ms, p99 ${commits.length ? percentile(commits, 99).toFixed(2) : '-'} ms`);
    console.log(`\ntime from A's 2xx until the guard answers the new state, ms (${onB.times.length} changes measured; a timeout is > ${options.timeoutMs} ms)`);
    console.log(`  instance                    p50      p90      p99      max   timed out  answered the old state at least once`);
    console.log(line('B (other instance)', onB, options.timeoutMs));
    console.log(line('A (writing instance)', onA, options.timeoutMs));
    if (stoppedAt !== null) {
      console.log(`  stopped early: ${onB.timeouts} changes timed out on B (--max-timeouts ${options.maxTimeouts}); ${options.changes - stoppedAt} of ${options.changes} changes not run`);
    }
    if (skipped > 0) console.log(`  ${skipped} changes skipped: B still answered the state before an earlier change of the same account`);
    const sortedB = [...onB.times].sort((x, y) => (x === y ? 0 : x - y));
    const p99B = sortedB.length ? percentile(sortedB, 99) : Infinity;
    const p99Text = Number.isFinite(p99B) ? `${p99B.toFixed(2)} ms` : `> ${options.timeoutMs} ms (timeouts)`;
    console.log(`\ntarget: p99 on B < ${TARGET_P99_MS} ms: ${p99B < TARGET_P99_MS ? 'met' : 'MISSED'} (p99 ${p99Text})`);
    if (loadAtStart > availableParallelism() * 0.75) {
      console.log(`\nNote: the machine was busy when the run started (1-min load ${loadAtStart.toFixed(1)} on ${availableParallelism()} CPUs). Prefer figures from a quiet run.`);
    }
  } finally {
    for (const agent of agents) agent.destroy();
    await Promise.all(hosts.map((host) => host.stop()));
    await dropDatabase(options.serverUrl, name);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
