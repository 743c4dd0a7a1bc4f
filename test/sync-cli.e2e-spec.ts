import { DynamicModule, LoggerService, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { LitestripeModule, runLitestripeSync, StripeSubscription } from '@litestripe/nestjs';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { WEBHOOK_SECRET } from './support/test-app';
import { testDatabaseUrl, truncateTables, typeOrmOptions } from './support/test-database';

/** Collects what the command writes; `onWrite` sees each chunk. */
class Output {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 120,
    private readonly onWrite?: (text: string) => void,
  ) {}
  write(text: string): boolean {
    this.chunks.push(text);
    this.onWrite?.(text);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

class Logs implements LoggerService {
  readonly lines: string[] = [];
  log = () => undefined;
  debug = () => undefined;
  verbose = () => undefined;
  warn = (message: unknown) => this.lines.push(`warn ${message}`);
  error = (message: unknown) => this.lines.push(`error ${message}`);
  fatal = (message: unknown) => this.lines.push(`fatal ${message}`);
}

describe('runLitestripeSync: the reconcile command of a host app', () => {
  let fake: FakeStripe;
  let logs: Logs;

  /** A host app as a user writes it. */
  function hostModule(): DynamicModule {
    @Module({})
    class CliHostModule {}
    return {
      module: CliHostModule,
      imports: [
        TypeOrmModule.forRootAsync({ useFactory: async () => ({ ...typeOrmOptions(await testDatabaseUrl()), entities: [], autoLoadEntities: true }) }),
        EventEmitterModule.forRoot(),
        LitestripeModule.forRoot({
          secretKey: 'sk_test_cli',
          webhookUuid: '6f1c1f0e-2c55-4d5f-9a53-0d6f4f1b8e21',
          webhookSecret: WEBHOOK_SECRET,
          stripe: fake.clientConfig(),
          maxRequestsPerMinute: 6000,
          rateLimitWindowMs: 1000,
        }),
      ],
    };
  }

  const sync = (argv: string[], stdout: Output, extra: { signal?: AbortSignal; stderr?: Output; signalSource?: EventEmitter } = {}) =>
    runLitestripeSync(hostModule(), argv, {
      stdout,
      stderr: extra.stderr ?? new Output(),
      signal: extra.signal,
      handleSignals: extra.signalSource !== undefined,
      signalSource: extra.signalSource,
      logger: logs,
    });

  beforeAll(async () => {
    fake = await FakeStripe.start();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    logs = new Logs();
    const dataSource = await new DataSource(typeOrmOptions(await testDatabaseUrl())).initialize();
    await truncateTables(dataSource);
    await dataSource.destroy();
  });

  async function storedCount(): Promise<number> {
    const dataSource = await new DataSource(typeOrmOptions(await testDatabaseUrl())).initialize();
    try {
      return await dataSource.getRepository(StripeSubscription).count();
    } finally {
      await dataSource.destroy();
    }
  }

  it('without a terminal: a plain line every N items, then the summary table; exit code 0', async () => {
    fake.seedSubscriptions(250, { metadata: (index): Record<string, string> => (index < 200 ? { client_reference_id: `acct_${index}` } : {}) });
    const out = new Output(false);
    expect(await sync(['sync', 'backfill', '--every', '100'], out)).toBe(0);

    const lines = out.lines();
    // The total comes first from Stripe's search (total_count), so every line has a percentage and an ETA.
    expect(lines[0]).toMatch(/^sync backfill: 100\/250 \(40%\), [\d.]+\/s, ETA \d+:\d\d; created 100, orphaned 50$/);
    expect(lines[1]).toMatch(/^sync backfill: 200\/250 \(80%\), [\d.]+\/s, ETA \d+:\d\d; created 200, orphaned 50$/);
    expect(lines[2]).toMatch(/^sync backfill: 250\/250 \(100%\), [\d.]+\/s, ETA 0:00; created 250, orphaned 50$/);
    expect(lines[3]).toMatch(/^sync backfill: complete, 250 items in [\d.]+ s$/);
    expect(lines.slice(4)).toEqual(['  created    250', '  updated      0', '  unchanged    0', '  orphaned    50', '  failed       0', '  replayed     0', '  duplicates   0']);
    expect(out.text).not.toContain('\r');
    expect(await storedCount()).toBe(250);
  });

  it('on a terminal: one line redrawn in place with a bar, count, rate and ETA', async () => {
    fake.seedSubscriptions(120);
    const out = new Output(true, 100);
    expect(await sync(['backfill'], out)).toBe(0);

    const redraws = out.chunks.filter((chunk) => chunk.startsWith('\r\x1b[2K'));
    expect(redraws.length).toBeGreaterThan(0);
    const last = redraws.at(-1)!.slice('\r\x1b[2K'.length);
    expect(last).toMatch(/^sync backfill {2}\[#{24}\] 120\/120 100% {2}[\d.]+\/s {2}ETA 0:00 {2}created 120/);
    for (const chunk of redraws) expect(chunk.length - '\r\x1b[2K'.length).toBeLessThanOrEqual(99); // never wraps
    expect(out.text).toMatch(/ETA 0:00 {2}created 120, orphaned 120\nsync backfill: complete, 120 items in [\d.]+ s\n/);
  });

  it('ends with exit code 1 and the failure logged when an item fails', async () => {
    const out = new Output();
    expect(await sync(['subscription', 'sub_missing'], out)).toBe(1);
    expect(out.text).toContain('sync subscription sub_missing: finished with failures, 1 item in');
    expect(out.text).toContain('  failed     1');
    expect(out.text).toContain('1 failed: see the errors above; a re-run retries them.');
    expect(logs.lines.some((line) => line.startsWith('error Could not fetch subscription sub_missing from Stripe') && line.includes('No such subscription'))).toBe(true);
  });

  it('stops after the items in flight on Ctrl-C, prints the partial summary and how to resume; exit code 130', async () => {
    fake.seedSubscriptions(400);
    const signals = new EventEmitter();
    const stderr = new Output();
    // The first progress line stands for the moment the operator presses Ctrl-C.
    const out = new Output(false, 80, (text) => text.startsWith('sync backfill: 10/') && signals.emit('SIGINT'));
    expect(await sync(['backfill', '--every', '10', '--concurrency', '1'], out, { signalSource: signals, stderr })).toBe(130);

    expect(stderr.text).toContain('Stopping after the items in flight (Ctrl-C again to quit at once)');
    expect(out.text).toMatch(/sync backfill: interrupted, 10 items in [\d.]+ s/);
    expect(out.text).toMatch(/Re-run to finish: items already synced count as unchanged, or resume: sync backfill --starting-after sub_\w+\./);
    expect(await storedCount()).toBe(10); // the signal came between two items: none was in flight
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);

    const resumeAfter = /--starting-after (sub_\w+)/.exec(out.text)![1];
    expect(await sync(['backfill', '--starting-after', resumeAfter], new Output())).toBe(0);
    expect(await storedCount()).toBe(400);
  });

  it('replays undelivered events', async () => {
    fake.seedSubscriptions(3, { recordEvents: true });
    for (const event of fake.events.filter((e) => e.type === 'customer.subscription.created')) fake.markUndelivered(event.id);
    const out = new Output();
    expect(await sync(['replay', '--days', '7'], out)).toBe(0);
    expect(out.text).toContain('sync replay (last 7 days): complete, 3 items in');
    expect(out.text).toContain('  replayed   3');
  });

  it('upgrades the rows an upgrade left incomplete: paused ones re-read with their behaviour', async () => {
    const seeded = fake.seedSubscriptions(3);
    fake.updateSubscription(seeded[1].id, { pause_collection: { behavior: 'void', resumes_at: null } });
    expect(await sync(['backfill'], new Output())).toBe(0);
    const dataSource = await new DataSource(typeOrmOptions(await testDatabaseUrl())).initialize();
    try {
      await dataSource.query(`UPDATE litestripe_subscription SET pause_behavior = 'unknown' WHERE pause_behavior IS NOT NULL`);
      const out = new Output();
      expect(await sync(['sync', 'upgrade'], out)).toBe(0);
      expect(out.text).toContain('sync upgrade: complete, 1 item in');
      expect(out.text).toContain('  updated    1');
      const rows: { id: string; pause_behavior: string | null }[] = await dataSource.query(`SELECT id, pause_behavior FROM litestripe_subscription WHERE pause_behavior IS NOT NULL`);
      expect(rows).toEqual([{ id: seeded[1].id, pause_behavior: 'void' }]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('answers a usage error with exit code 2 and the usage, before booting anything', async () => {
    const stderr = new Output();
    const out = new Output();
    expect(await runLitestripeSync(hostModule(), ['sync', 'customer', 'sub_123'], { stdout: out, stderr, handleSignals: false })).toBe(2);
    expect(stderr.text).toContain('customer needs a Stripe customer id (cus_...), got sub_123.');
    expect(stderr.text).toContain('Usage: sync <command> [options]');
    expect(out.text).toBe('');
    expect(fake.requests).toHaveLength(0);

    expect(await runLitestripeSync(hostModule(), ['--help'], { stdout: out, stderr, handleSignals: false })).toBe(0);
    expect(out.text).toContain('subscription <sub_...>');
  });

  it('says so when the application cannot start', async () => {
    @Module({ imports: [LitestripeModule.forRoot({ secretKey: '', webhookUuid: 'x', webhookSecret: [] })] })
    class BrokenModule {}
    const stderr = new Output();
    expect(await runLitestripeSync(BrokenModule, ['backfill'], { stdout: new Output(), stderr, handleSignals: false, logger: logs })).toBe(1);
    expect(stderr.text).toMatch(/^Could not start the application: /);
  });
});
