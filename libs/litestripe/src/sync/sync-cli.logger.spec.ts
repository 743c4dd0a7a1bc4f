import { SyncCliLogger } from './sync-cli.logger.js';
import { SyncProgressRenderer } from './sync-progress.renderer.js';

describe('SyncCliLogger', () => {
  const written: string[] = [];
  const originalWrite = process.stdout.write;
  const terminal = { isTTY: true, columns: 80, write: (text: string) => written.push(text) };

  beforeEach(() => {
    written.length = 0;
    // Nest's console logger writes to process.stdout; route it to the same list as the bar.
    process.stdout.write = ((text: string) => written.push(`log:${text}`) > 0) as typeof process.stdout.write;
  });
  afterEach(() => {
    process.stdout.write = originalWrite;
  });

  it('prints a log line above the bar: clears it, prints, draws it again', () => {
    const logger = new SyncCliLogger(false);
    const progress = new SyncProgressRenderer(terminal, 'sync', { every: 100, now: () => 1000 });
    progress.update({ done: 1, total: null, summary: { created: 1, updated: 0, unchanged: 0, orphaned: 0, failed: 0, replayed: 0, duplicates: 0, complete: true, stopReason: null, lastId: 'sub_1' } });
    logger.attach(progress);
    logger.warn('Stripe answered 429', 'LitestripeStripeClient');

    expect(written[1]).toBe('\r\x1b[2K');
    expect(written[2]).toMatch(/^log:.*WARN.*\[LitestripeStripeClient\].*Stripe answered 429/s);
    expect(written[3]).toBe(written[0].slice('\r\x1b[2K'.length));
  });

  it('shows warnings and errors by default, everything with --verbose', () => {
    new SyncCliLogger(false).log('booted', 'InstanceLoader');
    expect(written).toEqual([]);
    new SyncCliLogger(true).log('booted', 'InstanceLoader');
    expect(written.join('')).toContain('booted');
  });
});
