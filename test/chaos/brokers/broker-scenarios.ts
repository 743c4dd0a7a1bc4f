import { settle, Settled } from '../scenarios/settle';
import { startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { buildModel, Model } from '../support/model';
import { ProxyProcess } from '../support/proxy-process';
import { chaosSeed, seededRandom } from '../support/random';
import { SendReport, Sender, sleep } from '../support/sender';
import { planStream } from '../support/stream';
import { brokerEnv, brokerNames, Consumers, NATS, outboxIds, publicationCounts, RABBITMQ, readStream, startConsumers, waitForConsumed, waitForPublished } from './broker-fixtures';

/**
 * The outbox's brokers under faults (RELIABILITY.md): two chaos hosts publish every domain event to
 * RabbitMQ and NATS JetStream (test/chaos/host/brokers.ts), and the consumer example
 * (apps/events-consumer) reads each broker into a database of its own, deduplicating by id.
 * Inline webhook processing only: the brokers publish from the outbox, which both modes fill alike.
 */
export interface BrokerRun {
  scenario: string;
  model: Model;
  report: SendReport;
  settled: Settled;
  /** The outbox's entries: every one must reach each consumer once. */
  expected: string[];
  /** Publications still open after the wait, and per broker the counts. */
  openPublications: number;
  publications: Record<string, { delivered: number; open: number; failed: number; maxAttempts: number }>;
  consumed: { rmq: string[]; jetstream: string[] };
  duplicatesSkipped: { rmq: number; jetstream: number };
  stream: { messages: number; ids: string[]; outOfOrder: number };
  seconds: number;
}

export interface OutageRun extends BrokerRun {
  downMs: number;
  /** Publications waiting, per broker, at the end of the outage: what the brokers did not get meanwhile. */
  waitingWhileDown: Record<string, { delivered: number; open: number; failed: number; maxAttempts: number }>;
  sameProcesses: boolean;
}

export interface KillRun extends BrokerRun {
  /** Times the killing host died right after a broker confirmed, before the outbox's mark. */
  kills: number;
}

export interface SlowConsumerRun extends BrokerRun {
  /** When every publication was confirmed, and when the slow consumer was done, from the stream's start (ms). */
  publishedAfterMs: number;
  consumedAfterMs: number;
  /** Messages the slow consumer still had to process when the brokers had confirmed everything. */
  backlogAtPublished: number;
}

const SUBSCRIPTIONS = 40;
const EVENTS = Number(process.env.CHAOS_BROKER_EVENTS ?? 400);

/** The brokers unreachable for a few seconds, a quarter into the stream: entries wait, nothing is lost or failed, all is published once they are back. */
export async function runBrokerOutage(): Promise<OutageRun> {
  const begin = Date.now();
  const names = brokerNames('broker_outage');
  const [rabbit, nats] = await Promise.all([ProxyProcess.start(RABBITMQ.host, RABBITMQ.port), ProxyProcess.start(NATS.host, NATS.port)]);
  const consumers = await startConsumers('broker_outage', names);
  try {
    const cluster = await startCluster('broker_outage', { mode: 'inline', instances: 2, env: brokerEnv(names, rabbit.port, nats.port) });
    try {
      const pids = cluster.hosts.map((host) => host.pid);
      const { model, sender, deliveries } = streamFor(cluster.targets, 1);
      const sent = sender.send(deliveries);
      while (sender.started < deliveries.length / 4) await sleep(10);
      const downAt = Date.now();
      await Promise.all([rabbit.down(), nats.down()]);
      await sleep(4000);
      const waitingWhileDown = await publicationCounts(cluster.databaseUrl);
      await Promise.all([rabbit.up(), nats.up()]);
      const downMs = Date.now() - downAt;
      const report = await sent;
      sender.close();
      const run = await collect('broker_outage', cluster.databaseUrl, model, report, consumers, names, begin);
      const sameProcesses = cluster.hosts.every((host, i) => host.alive && host.starts === 1 && host.pid === pids[i]);
      return { ...run, downMs, waitingWhileDown, sameProcesses };
    } finally {
      await cluster.close();
    }
  } finally {
    await consumers.close();
    await Promise.all([rabbit.close(), nats.close()]);
  }
}

/**
 * A host killed (SIGKILL) right after RabbitMQ confirmed a message, before the outbox marked it, then
 * restarted: the entries of its lease are published again once the lease runs out, with the same
 * ids. RabbitMQ delivers them twice and the consumer skips the second; JetStream drops them.
 */
export async function runKillAfterPublish(): Promise<KillRun> {
  const begin = Date.now();
  const names = brokerNames('broker_kill');
  const consumers = await startConsumers('broker_kill', names);
  try {
    const cluster = await startCluster('broker_kill', { mode: 'inline', instances: 2, env: brokerEnv(names) });
    try {
      const victim = cluster.hosts[0];
      await victim.stop();
      // The two hosts share RabbitMQ's lease, so the victim publishes about half of the stream's domain
      // events (a little more than EVENTS): an eighth of EVENTS is reached early, whichever host leases more.
      victim.config.env = { ...victim.config.env, CHAOS_KILL_AFTER_PUBLISHES: String(Math.floor(EVENTS / 8)) };
      await victim.start();
      const { model, sender, deliveries } = streamFor(cluster.targets, 2);
      let sending = true;
      const sent = sender.send(deliveries).finally(() => (sending = false));
      let kills = 0;
      while (sending) {
        if (!victim.alive) {
          kills++;
          delete victim.config.env!.CHAOS_KILL_AFTER_PUBLISHES;
          await victim.start();
        }
        await sleep(20);
      }
      const report = await sent;
      sender.close();
      return { ...(await collect('broker_kill', cluster.databaseUrl, model, report, consumers, names, begin)), kills };
    } finally {
      await cluster.close();
    }
  } finally {
    await consumers.close();
  }
}

/** Consumers that take 15 ms a message, one at a time: the brokers confirm at their own pace, the outbox does not wait for the consumers. */
export async function runSlowConsumer(): Promise<SlowConsumerRun> {
  const begin = Date.now();
  const names = brokerNames('broker_slow');
  const consumers = await startConsumers('broker_slow', names, 15);
  try {
    const cluster = await startCluster('broker_slow', { mode: 'inline', instances: 2, env: brokerEnv(names) });
    try {
      const { model, sender, deliveries } = streamFor(cluster.targets, 3);
      const started = Date.now();
      const report = await sender.send(deliveries);
      sender.close();
      await waitForPublished(cluster.databaseUrl, 60_000);
      const publishedAfterMs = Date.now() - started;
      const expected = (await outboxIds(cluster.databaseUrl)).length;
      const backlogAtPublished = expected - Math.min((await consumers.rmq.processed()).length, (await consumers.jetstream.processed()).length);
      const run = await collect('broker_slow', cluster.databaseUrl, model, report, consumers, names, begin);
      return { ...run, publishedAfterMs, consumedAfterMs: Date.now() - started, backlogAtPublished };
    } finally {
      await cluster.close();
    }
  } finally {
    await consumers.close();
  }
}

function streamFor(targets: { port: number; path: string }[], seedOffset: number) {
  const random = seededRandom(chaosSeed() + 10 + seedOffset);
  const model = buildModel({ subscriptions: SUBSCRIPTIONS, events: EVENTS, orphanEvery: 20, random });
  const stream = planStream(model, { duplicateRatio: 0.1, reorderRatio: 0.1, random });
  const sender = new Sender(targets, { concurrency: 20, secret: WEBHOOK_SECRET, deadlineMs: 120_000 });
  return { model, sender, deliveries: stream.deliveries };
}

async function collect(scenario: string, url: string, model: Model, report: SendReport, consumers: Consumers, names: ReturnType<typeof brokerNames>, begin: number): Promise<BrokerRun> {
  const settled = await settle(url, model, 'inline');
  const openPublications = await waitForPublished(url, 60_000);
  const expected = await outboxIds(url);
  const [rmq, jetstream] = await Promise.all([waitForConsumed(consumers.rmq, expected.length, 90_000), waitForConsumed(consumers.jetstream, expected.length, 90_000)]);
  // A moment for late duplicates (a republished message still in flight) to arrive and be counted.
  await sleep(1000);
  return {
    scenario,
    model,
    report,
    settled,
    expected,
    openPublications,
    publications: await publicationCounts(url),
    consumed: { rmq, jetstream },
    duplicatesSkipped: { rmq: consumers.rmq.duplicatesSkipped(), jetstream: consumers.jetstream.duplicatesSkipped() },
    stream: await readStream(names),
    seconds: (Date.now() - begin) / 1000,
  };
}

export { NATS, RABBITMQ };
