import { eventStates, inboxSnapshot, InboxSnapshot, undeliveredIds, waitForPending } from '../support/checks';
import { Cluster, startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { WebhookMode } from '../support/mode';
import { buildModel, joinModels, Model } from '../support/model';
import { chaosSeed, seededRandom } from '../support/random';
import { mergeReports, SendReport, Sender, sleep } from '../support/sender';
import { planStream, Stream } from '../support/stream';
import { settle, Settled } from './settle';

/**
 * Kill: two instances take a stream while each in turn is `kill -9`ed at a random point of the
 * stream, with requests in flight, then restarted on its port. The sender keeps redelivering whatever got
 * no 2xx. The listener waits up to 40 ms before recording, so that many deliveries sit between
 * commit and `delivered_at` at any moment: right after each kill, the outbox entries still
 * undelivered are noted (those are the ones a kill may have caught between commit and dispatch,
 * or between the listener and `delivered_at`).
 *
 * After the last of those, a burst: a second stream, of subscriptions of its own, goes to one
 * instance only while the main stream's tail is still sent (deferred: while the appliers still work
 * through the main stream's backlog, so the burst's events wait in the inbox). Once it has
 * answered a quarter of the burst, and (deferred) as soon as BURST_PENDING events it answered `queued`
 * are still waiting in the inbox, it is killed: the kill between the inbox write and the apply, its
 * applier not done (or holding some of them in a batch it had not committed). It is restarted and the
 * burst's sender redelivers what the kill left unanswered. Right after every kill the inbox is read: the
 * events still pending, and those leased to an applier (a batch in progress). A leased event the
 * dead instance held is applied only once its lease has run out, by the other instance or the
 * restarted one: the events leased at a kill and applied after their lease's end are counted.
 */
export interface KillRecord {
  instance: string;
  /** Mid-stream (requests in flight, batches being applied), or in the burst, right after it answered `queued` for events still waiting. */
  point: 'mid-stream' | 'burst';
  /** Requests the sender had in flight to it. */
  requestsInFlight: number;
  /** Outbox entries undelivered right after the kill (both instances' together). */
  openOutboxEntries: number;
  /** Inbox events written but not applied right after the kill (deferred; 0 inline). */
  pendingEvents: number;
  /** Of those, events of the burst (the burst's kill). */
  pendingOfBurst: number;
  /**
   * The burst's kill, deferred: events of the burst waiting in the inbox at the poll that set the
   * kill off, a moment before it. The snapshot after the kill may find fewer: the other instance
   * goes on applying meanwhile.
   */
  burstWaitingAtKill: number;
  /** Of those, leased to an applier (a batch in progress), with their lease's end. */
  leased: Map<string, Date>;
  downMs: number;
}

export interface KillResult {
  mode: WebhookMode;
  model: Model;
  /** The main stream and the burst together. */
  stream: Stream;
  report: SendReport;
  settled: Settled;
  kills: KillRecord[];
  /** Every payload id that was undelivered at some kill: the only ones allowed to be delivered twice. */
  openAtKill: Set<string>;
  /** Events leased at a kill and applied only after the lease ran out: the dead instance's batches, taken over. */
  appliedAfterLease: number;
  /** Events leased at a kill that did not end applied (must be none). */
  leasedNotApplied: string[];
  burst: { distinct: number; deliveries: number; seconds: number };
  restartedHostsUp: boolean;
  seconds: number;
}

export const KILLS = 5;
/** Deferred: the burst's instance is killed once this many events it answered wait in the inbox. */
const BURST_PENDING = 50;
/** The hosts' inbox lease (CHAOS_INBOX_LEASE_MS), to tell a lease from a short release in the snapshots. */
const INBOX_LEASE_MS = Number(process.env.CHAOS_INBOX_LEASE_MS ?? 2000);

export async function runKill(mode: WebhookMode): Promise<KillResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed() + 1);
  const main = buildModel({ subscriptions: 150, events: Number(process.env.CHAOS_KILL_EVENTS ?? 6000), orphanEvery: 20, random });
  const mainStream = planStream(main, { duplicateRatio: 0.2, reorderRatio: 0.1, random });
  const burstModel = buildModel({ subscriptions: 40, events: Number(process.env.CHAOS_KILL_BURST_EVENTS ?? 1200), orphanEvery: 20, random, firstIndex: 1000 });
  const burstStream = planStream(burstModel, { duplicateRatio: 0.2, reorderRatio: 0.1, random });
  const model = joinModels(main, burstModel);
  const cluster = await startCluster('kill', { mode, instances: 2, env: { CHAOS_LISTENER_DELAY_MS: '40', CHAOS_INBOX_LEASE_MS: String(INBOX_LEASE_MS) } });
  const kills: KillRecord[] = [];
  const openAtKill = new Set<string>();
  /** Kills the host, reads what the kill left, restarts it after a pause. */
  const killAndRestart = async (victim: number, point: KillRecord['point'], requestsInFlight: number, burst: { ids: readonly string[]; waiting: number } = { ids: [], waiting: 0 }) => {
    const host = cluster.hosts[victim];
    await host.kill9();
    const killedAt = Date.now();
    const [open, inbox] = await Promise.all([undeliveredIds(cluster.databaseUrl), readInbox(cluster, mode)]);
    open.forEach((id) => openAtKill.add(id));
    await sleep(200 + random() * 600);
    await host.start();
    kills.push({
      instance: host.config.name,
      point,
      requestsInFlight,
      openOutboxEntries: open.length,
      pendingEvents: inbox.pending,
      pendingOfBurst: burst.ids.filter((id) => inbox.pendingIds.has(id)).length,
      burstWaitingAtKill: burst.waiting,
      leased: inbox.leased,
      downMs: Date.now() - killedAt,
    });
  };
  try {
    const sender = new Sender(cluster.targets, { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 180_000 });
    let sending = true;
    const sent = sender.send(mainStream.deliveries).finally(() => (sending = false));
    // Kill points by progress through the stream (not by time), so that they land mid-stream on any machine.
    const points = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 0.2 + 0.6 * random()) / KILLS) * mainStream.deliveries.length));
    for (const [k, point] of points.entries()) {
      while (sending && sender.started < point) await sleep(5);
      if (!sending) break;
      const victim = k % cluster.hosts.length;
      // Busy, if it gets there soon: requests in flight, so transactions, batches and dispatches are cut.
      const busyBy = Date.now() + 2000;
      while (sending && sender.inFlight[victim] < 5 && Date.now() < busyBy) await sleep(2);
      await killAndRestart(victim, 'mid-stream', sender.inFlight[victim]);
    }

    // The burst, to one instance only, while the main stream's tail (and, deferred, its backlog in the
    // inbox) is still being taken. Once it has answered a quarter of it, it is killed as soon as
    // events it answered are waiting in the inbox (deferred: BURST_PENDING of them, or the burst is
    // over); then restarted, and the burst's sender redelivers what the kill left unanswered.
    const burstBegin = Date.now();
    const victim = KILLS % cluster.hosts.length;
    const burstIds = [...new Set(burstStream.deliveries.map((d) => d.event.id))];
    const burstSender = new Sender([cluster.targets[victim]], { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 60_000 });
    let bursting = true;
    const burstSent = burstSender.send(burstStream.deliveries).finally(() => (bursting = false));
    while (bursting && burstSender.answered < burstStream.deliveries.length / 4) await sleep(5);
    const waiting = mode === 'deferred' ? await waitForPending(cluster.databaseUrl, burstIds, BURST_PENDING, () => !bursting) : 0;
    const burstKill = killAndRestart(victim, 'burst', burstSender.inFlight[0], { ids: burstIds, waiting });
    const burstReport = await burstSent;
    await burstKill;
    burstSender.close();
    const burstSeconds = (Date.now() - burstBegin) / 1000;
    const mainReport = await sent;
    sender.close();

    const settled = await settle(cluster.databaseUrl, model, mode);
    const leasedAtKills = kills.flatMap((kill) => [...kill.leased]);
    const states = await eventStates(cluster.databaseUrl, leasedAtKills.map(([id]) => id));
    const appliedAfterLease = leasedAtKills.filter(([id, leaseEnd]) => {
      const state = states.get(id);
      return state?.outcome === 'processed' && state.processedAt !== null && state.processedAt.getTime() >= leaseEnd.getTime();
    }).length;
    const leasedNotApplied = [...new Set(leasedAtKills.map(([id]) => id))].filter((id) => states.get(id)?.outcome !== 'processed');
    const stream: Stream = {
      deliveries: [...mainStream.deliveries, ...burstStream.deliveries],
      distinct: mainStream.distinct + burstStream.distinct,
      duplicates: mainStream.duplicates + burstStream.duplicates,
      reordered: mainStream.reordered + burstStream.reordered,
    };
    const restartedHostsUp = cluster.hosts.every((host) => host.alive);
    return {
      mode,
      model,
      stream,
      report: mergeReports(mainReport, burstReport),
      settled,
      kills,
      openAtKill,
      appliedAfterLease,
      leasedNotApplied,
      burst: { distinct: burstStream.distinct, deliveries: burstStream.deliveries.length, seconds: burstSeconds },
      restartedHostsUp,
      seconds: (Date.now() - begin) / 1000,
    };
  } finally {
    await cluster.close();
  }
}

function readInbox(cluster: Cluster, mode: WebhookMode): Promise<InboxSnapshot> {
  if (mode === 'inline') return Promise.resolve({ pending: 0, pendingIds: new Set<string>(), leased: new Map() });
  return inboxSnapshot(cluster.databaseUrl, INBOX_LEASE_MS);
}
