import { startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { buildModel, Model } from '../support/model';
import { chaosSeed, seededRandom } from '../support/random';
import { SendReport, Sender } from '../support/sender';
import { planStream, Stream } from '../support/stream';
import { settle, Settled } from './settle';

/**
 * Storm: ~10,000 distinct events of 300 subscriptions, 20% delivered twice and 10% held back past
 * later events, over 50 keep-alive connections to two instances sharing one database. The
 * listener fails 2% of its calls (before recording), so outbox retries run alongside.
 */
export interface StormResult {
  model: Model;
  stream: Stream;
  report: SendReport;
  settled: Settled;
  /** Each host still the process it was started as. */
  hostsUp: boolean;
  seconds: number;
}

export async function runStorm(): Promise<StormResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed());
  const model = buildModel({ subscriptions: 300, events: Number(process.env.CHAOS_STORM_EVENTS ?? 10_000), orphanEvery: 20, random });
  const stream = planStream(model, { duplicateRatio: 0.2, reorderRatio: 0.11, random });
  const cluster = await startCluster('storm', { instances: 2, env: { CHAOS_LISTENER_FAIL_RATE: '0.02' } });
  try {
    const sender = new Sender(cluster.targets, { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 150_000 });
    const report = await sender.send(stream.deliveries);
    sender.close();
    const settled = await settle(cluster.databaseUrl, model);
    const hostsUp = cluster.hosts.every((host) => host.alive && host.starts === 1);
    return { model, stream, report, settled, hostsUp, seconds: (Date.now() - begin) / 1000 };
  } finally {
    await cluster.close();
  }
}
