import { databaseNow } from '../support/checks';
import { startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { SERVER_URL } from '../support/database';
import { WebhookMode } from '../support/mode';
import { ProxyProcess } from '../support/proxy-process';
import { buildModel, Model } from '../support/model';
import { chaosSeed, seededRandom } from '../support/random';
import { SendReport, Sender, sleep } from '../support/sender';
import { planStream, Stream } from '../support/stream';
import { settle, Settled } from './settle';

/**
 * Database outage: both instances reach PostgreSQL through a TCP proxy (test/support/tcp-proxy.ts,
 * run as a process of its own by host/db-proxy.ts), which is taken down for a few seconds once a
 * quarter of the stream is sent (every connection dropped, new ones refused), then brought back on
 * the same port. The machine's PostgreSQL itself is never touched: other test runs share it.
 * Deferred, the webhook's one write fails (503) and the appliers' batches, their lease queries and
 * the inbox's LISTEN connection break too; after the outage the appliers pick up where they were.
 */
export interface OutageResult {
  mode: WebhookMode;
  model: Model;
  stream: Stream;
  report: SendReport;
  settled: Settled;
  downMs: number;
  /** When the database was reachable again (its own clock). */
  upAt: Date;
  /** The hosts are the processes they were before the outage, and still up. */
  sameProcesses: boolean;
  seconds: number;
}

export async function runOutage(mode: WebhookMode): Promise<OutageResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed() + 2);
  const model = buildModel({ subscriptions: 120, events: Number(process.env.CHAOS_OUTAGE_EVENTS ?? 4000), orphanEvery: 20, random });
  const stream = planStream(model, { duplicateRatio: 0.2, reorderRatio: 0.1, random });
  const server = new URL(SERVER_URL);
  const proxy = await ProxyProcess.start(server.hostname, Number(server.port || 5432));
  const viaProxy = (url: string) => {
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    proxied.searchParams.set('connect_timeout', '2');
    return proxied.toString();
  };
  try {
    const cluster = await startCluster('outage', { mode, instances: 2, hostDatabaseUrl: viaProxy });
    try {
      const pids = cluster.hosts.map((host) => host.pid);
      const sender = new Sender(cluster.targets, { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 150_000 });
      const sent = sender.send(stream.deliveries);
      const quarter = Math.floor(stream.deliveries.length / 4);
      const waitUntil = Date.now() + 60_000;
      while (sender.started < quarter && Date.now() < waitUntil) await sleep(10);
      const downAt = Date.now();
      await proxy.down();
      await sleep(3000 + random() * 1000);
      await proxy.up();
      const downMs = Date.now() - downAt;
      const upAt = await databaseNow(cluster.databaseUrl);
      const report = await sent;
      sender.close();
      const settled = await settle(cluster.databaseUrl, model, mode);
      const sameProcesses = cluster.hosts.every((host, i) => host.alive && host.starts === 1 && host.pid === pids[i]);
      return { mode, model, stream, report, settled, downMs, upAt, sameProcesses, seconds: (Date.now() - begin) / 1000 };
    } finally {
      await cluster.close();
    }
  } finally {
    await proxy.close();
  }
}
