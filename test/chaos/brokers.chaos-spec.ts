import { stopAllHosts } from './support/host-process';
import { BrokerRun, runBrokerOutage, runKillAfterPublish, runSlowConsumer } from './brokers/broker-scenarios';

/**
 * The outbox's brokers under faults (`npm run test:chaos`, after the reliability suite): real
 * RabbitMQ and NATS JetStream on this machine, reached through TCP proxies where a scenario takes
 * them away; real host processes; the consumer example reading each broker. RELIABILITY.md says
 * what each proves.
 */
afterAll(() => stopAllHosts());

/** What holds in every scenario: each consumer applied every domain event once, nothing is left open or failed, JetStream kept one subscription's events in order. */
function expectEveryEventOnceAtEachBroker(run: BrokerRun): void {
  process.stdout.write(
    `\n${run.scenario}: ${run.expected.length} domain events; publications ${JSON.stringify(run.publications)}; consumed rmq ${run.consumed.rmq.length} (duplicates skipped ${run.duplicatesSkipped.rmq}), ` +
      `jetstream ${run.consumed.jetstream.length} (duplicates skipped ${run.duplicatesSkipped.jetstream}); stream ${run.stream.messages} messages, ${run.stream.outOfOrder} out of order; ${run.seconds.toFixed(1)} s\n`,
  );
  expect(run.report.unfinished).toBe(0);
  expect(run.settled.openOutbox).toBe(0);
  expect(run.settled.rows.mismatches).toEqual([]);
  expect(run.expected.length).toBeGreaterThan(run.model.subscriptions.length);
  expect(run.openPublications).toBe(0);
  for (const broker of ['rabbitmq', 'nats']) expect(run.publications[broker]).toMatchObject({ delivered: run.expected.length, open: 0, failed: 0 });
  expect(run.consumed.rmq).toEqual(run.expected);
  expect(run.consumed.jetstream).toEqual(run.expected);
  expect([...run.stream.ids].sort()).toEqual(run.expected);
  expect(run.stream.outOfOrder).toBe(0);
}

describe('the outbox published to RabbitMQ and NATS JetStream', () => {
  it('broker outage: entries wait while the brokers are unreachable, count no attempt, and are all published once they are back', async () => {
    const run = await runBrokerOutage();
    expectEveryEventOnceAtEachBroker(run);
    expect(run.downMs).toBeGreaterThanOrEqual(4000);
    process.stdout.write(`waiting at the end of the outage: ${JSON.stringify(run.waitingWhileDown)}\n`);
    for (const broker of ['rabbitmq', 'nats']) expect(run.waitingWhileDown[broker].open).toBeGreaterThan(0);
    expect(run.sameProcesses).toBe(true);
  });

  it('kill between publish and delivered mark: the entries are published again with the same ids, RabbitMQ delivers a duplicate the consumer skips, JetStream drops it', async () => {
    const run = await runKillAfterPublish();
    expectEveryEventOnceAtEachBroker(run);
    expect(run.kills).toBe(1);
    expect(run.duplicatesSkipped.rmq).toBeGreaterThan(0);
    expect(run.publications.rabbitmq.maxAttempts).toBe(1);
  });

  it('slow consumer: the brokers confirm everything while the consumers still work through their backlog, which they finish, each event once', async () => {
    const run = await runSlowConsumer();
    expectEveryEventOnceAtEachBroker(run);
    expect(run.backlogAtPublished).toBeGreaterThan(0);
    expect(run.publishedAfterMs).toBeLessThan(run.consumedAfterMs);
  });
});
