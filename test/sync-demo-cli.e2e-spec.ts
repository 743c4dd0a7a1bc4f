import type { LoggerService } from '@nestjs/common';

/** Collects what the command writes. */
class Output {
  readonly chunks: string[] = [];
  readonly isTTY = false;
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const quiet: LoggerService = { log: () => undefined, warn: () => undefined, error: () => undefined };

const STRIPE_AND_DATABASE_VARIABLES = ['DATABASE_URL', 'PGLITE_DATA_DIR', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_UUID', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_SECRET_FILE', 'LITESTRIPE_SANDBOX'];

describe('the demo\'s `npm run litestripe -- sync ...` without a Stripe key', () => {
  const savedEnv = Object.fromEntries(STRIPE_AND_DATABASE_VARIABLES.map((name) => [name, process.env[name]]));
  let runDemoSync: typeof import('../apps/demo/src/cli/demo-sync').runDemoSync;

  beforeAll(async () => {
    // Empty rather than deleted, so that a developer's .env cannot fill them in.
    for (const name of STRIPE_AND_DATABASE_VARIABLES) process.env[name] = '';
    // Imported only now: the demo's module reads the database settings when it is loaded.
    ({ runDemoSync } = await import('../apps/demo/src/cli/demo-sync'));
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('backfills a fake Stripe seeded with a few hundred subscriptions, over embedded PostgreSQL', async () => {
    const out = new Output();
    expect(await runDemoSync(['sync', 'backfill'], { stdout: out, handleSignals: false, logger: quiet })).toBe(0);
    expect(out.text).toMatch(/^Offline \(no STRIPE_SECRET_KEY\): syncing from an in-process fake Stripe with 300 subscriptions and \d+ undelivered events/);
    expect(out.text).toMatch(/sync backfill: complete, 300 items in [\d.]+ s\n {2}created {4}300\n/);
    // One in three has no account reference; those that have not ended become orphans.
    const orphaned = Number(/\n {2}orphaned +(\d+)\n/.exec(out.text)?.[1]);
    expect(orphaned).toBeGreaterThan(0);
    expect(orphaned).toBeLessThanOrEqual(100);
  }, 60_000);

  it('syncs a seeded subscription in place of an id the fake cannot know, and says so', async () => {
    const out = new Output();
    expect(await runDemoSync(['sync', 'subscription', 'sub_fromsomewhereelse'], { stdout: out, handleSignals: false, logger: quiet })).toBe(0);
    const [, seeded] = /The fake Stripe has no sub_fromsomewhereelse \(its ids are made up at each run\): syncing (sub_\w+) instead\./.exec(out.text) ?? [];
    expect(seeded).toBeDefined();
    expect(out.text).toContain(`sync subscription ${seeded}: complete, 1 item in`);
  }, 60_000);

  it('replays the events it left undelivered', async () => {
    const out = new Output();
    expect(await runDemoSync(['sync', 'replay', '--days', '1'], { stdout: out, handleSignals: false, logger: quiet })).toBe(0);
    const undelivered = Number(/and (\d+) undelivered events/.exec(out.text)![1]);
    expect(undelivered).toBeGreaterThan(0);
    expect(out.text).toMatch(new RegExp(`\n {2}replayed +${undelivered}\n {2}duplicates +0\n`));
  }, 60_000);
});
