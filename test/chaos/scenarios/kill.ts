import { undeliveredIds } from '../support/checks';
import { startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { buildModel, Model } from '../support/model';
import { chaosSeed, seededRandom } from '../support/random';
import { SendReport, Sender, sleep } from '../support/sender';
import { planStream, Stream } from '../support/stream';
import { settle, Settled } from './settle';

/**
 * Kill: two instances take a stream while each in turn is `kill -9`ed at a random point of the
 * stream, with requests in flight, then restarted on its port. The sender keeps redelivering whatever got
 * no 2xx. The listener waits up to 40 ms before recording, so that many deliveries sit between
 * commit and `delivered_at` at any moment: right after each kill, the outbox entries still
 * undelivered are noted (those are the ones a kill may have caught between commit and dispatch,
 * or between the listener and `delivered_at`).
 */
export interface KillRecord {
  instance: string;
  /** Requests the sender had in flight to it. */
  requestsInFlight: number;
  /** Outbox entries undelivered right after the kill (both instances' together). */
  openOutboxEntries: number;
  downMs: number;
}

export interface KillResult {
  model: Model;
  stream: Stream;
  report: SendReport;
  settled: Settled;
  kills: KillRecord[];
  /** Every payload id that was undelivered at some kill: the only ones allowed to be delivered twice. */
  openAtKill: Set<string>;
  restartedHostsUp: boolean;
  seconds: number;
}

export const KILLS = 5;

export async function runKill(): Promise<KillResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed() + 1);
  const model = buildModel({ subscriptions: 150, events: Number(process.env.CHAOS_KILL_EVENTS ?? 6000), orphanEvery: 20, random });
  const stream = planStream(model, { duplicateRatio: 0.2, reorderRatio: 0.1, random });
  const cluster = await startCluster('kill', { instances: 2, env: { CHAOS_LISTENER_DELAY_MS: '40' } });
  try {
    const sender = new Sender(cluster.targets, { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 180_000 });
    let sending = true;
    const sent = sender.send(stream.deliveries).finally(() => (sending = false));
    const kills: KillRecord[] = [];
    const openAtKill = new Set<string>();
    // Kill points by progress through the stream (not by time), so that they land mid-stream on any machine.
    const points = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 0.2 + 0.6 * random()) / KILLS) * stream.deliveries.length));
    for (const [k, point] of points.entries()) {
      while (sending && sender.started < point) await sleep(5);
      if (!sending) break;
      const victim = k % cluster.hosts.length;
      const host = cluster.hosts[victim];
      // Busy, if it gets there soon: requests in flight, so transactions and dispatches are cut.
      const busyBy = Date.now() + 2000;
      while (sending && sender.inFlight[victim] < 5 && Date.now() < busyBy) await sleep(2);
      const requestsInFlight = sender.inFlight[victim];
      await host.kill9();
      const killedAt = Date.now();
      const open = await undeliveredIds(cluster.databaseUrl);
      open.forEach((id) => openAtKill.add(id));
      await sleep(200 + random() * 600);
      await host.start();
      kills.push({ instance: host.config.name, requestsInFlight, openOutboxEntries: open.length, downMs: Date.now() - killedAt });
    }
    const report = await sent;
    sender.close();
    const settled = await settle(cluster.databaseUrl, model);
    const restartedHostsUp = cluster.hosts.every((host) => host.alive);
    return { model, stream, report, settled, kills, openAtKill, restartedHostsUp, seconds: (Date.now() - begin) / 1000 };
  } finally {
    await cluster.close();
  }
}
