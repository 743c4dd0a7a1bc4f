import { emptySyncSummary, type SyncSummary } from './sync-summary.js';
import { formatDuration, SyncProgressRenderer } from './sync-progress.renderer.js';

class Screen {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(text: string): void {
    this.chunks.push(text);
  }
}

const CLEAR = '\r\x1b[2K';
const counts = (created: number, extra: Partial<SyncSummary> = {}): SyncSummary => ({ ...emptySyncSummary(), created, ...extra });

describe('SyncProgressRenderer', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => (clock = 0));

  it('on a terminal: redraws one line with a bar, count, percentage, rate and ETA, at most every redrawMs', () => {
    const screen = new Screen(true);
    const renderer = new SyncProgressRenderer(screen, 'sync backfill', { every: 100, now, redrawMs: 100 });
    for (let done = 1; done <= 50; done++) {
      clock = done * 20; // 50 items/s
      renderer.update({ done, total: 200, summary: counts(done) });
    }
    expect(screen.chunks.every((chunk) => chunk.startsWith(CLEAR))).toBe(true);
    expect(screen.chunks).toHaveLength(10); // 1 s at most one redraw per 100 ms
    expect(screen.chunks.at(-1)).toBe(`${CLEAR}sync backfill  [#####-------------------] 46/200 23%  50/s  ETA 0:04  created 46`);
  });

  it('says "?" where the total is unknown, and never draws wider than the terminal', () => {
    const screen = new Screen(true, 40);
    const renderer = new SyncProgressRenderer(screen, 'sync backfill', { every: 100, now });
    clock = 2000;
    renderer.update({ done: 3, total: null, summary: counts(2, { failed: 1 }) });
    expect(screen.chunks).toEqual([`${CLEAR}${'sync backfill  3/?  1.5/s  ETA ?  created 2, failed 1'.slice(0, 39)}`]);
  });

  it('takes the rate over the last ten seconds, so the ETA follows a change of pace', () => {
    const screen = new Screen(true);
    const renderer = new SyncProgressRenderer(screen, 'x', { every: 100, now, redrawMs: 0 });
    for (let second = 1; second <= 20; second++) {
      clock = second * 1000;
      renderer.update({ done: second <= 10 ? second * 100 : 1000 + (second - 10) * 10, total: 5000, summary: counts(0) });
    }
    expect(renderer.rate()).toBeCloseTo(10, 0);
    expect(screen.chunks.at(-1)).toContain('1100/5000 22%  10/s  ETA 6:30');
  });

  it('draws the final state at once, and finish() leaves the terminal on a new line', () => {
    const screen = new Screen(true);
    const renderer = new SyncProgressRenderer(screen, 'sync', { every: 100, now, redrawMs: 1000 });
    clock = 10;
    renderer.update({ done: 1, total: 2, summary: counts(1) });
    clock = 20;
    renderer.update({ done: 2, total: 2, summary: counts(2) });
    renderer.finish();
    expect(screen.chunks.map((chunk) => chunk.replace(/ {2}[\d.]+\/s/, ''))).toEqual([
      `${CLEAR}sync  [############------------] 1/2 50%  ETA 0:01  created 1`,
      `${CLEAR}sync  [########################] 2/2 100%  ETA 0:00  created 2`,
      '\n',
    ]);
  });

  it('clears the bar for a log line and draws it again below', () => {
    const screen = new Screen(true);
    const renderer = new SyncProgressRenderer(screen, 'sync', { every: 100, now });
    clock = 1000;
    renderer.update({ done: 1, total: null, summary: counts(1) });
    renderer.suspend(() => screen.write('a warning\n'));
    expect(screen.chunks).toEqual([`${CLEAR}sync  1/?  1.0/s  ETA ?  created 1`, CLEAR, 'a warning\n', 'sync  1/?  1.0/s  ETA ?  created 1']);
  });

  it('without a terminal: a plain line every N items and at the end, never a control character', () => {
    const screen = new Screen(false);
    const renderer = new SyncProgressRenderer(screen, 'sync replay', { every: 2, now });
    for (let done = 1; done <= 5; done++) {
      clock = done * 500;
      renderer.update({ done, total: 5, summary: { ...emptySyncSummary(), replayed: done - 1, duplicates: 1 } });
    }
    renderer.suspend(() => screen.write('log\n'));
    renderer.finish();
    expect(screen.chunks).toEqual([
      'sync replay: 2/5 (40%), 2.0/s, ETA 0:02; replayed 1, duplicates 1\n',
      'sync replay: 4/5 (80%), 2.0/s, ETA 0:01; replayed 3, duplicates 1\n',
      'sync replay: 5/5 (100%), 2.0/s, ETA 0:00; replayed 4, duplicates 1\n',
      'log\n',
    ]);
  });

  it.each([
    [0, '0:00'],
    [59.2, '1:00'],
    [61, '1:01'],
    [3600, '1:00:00'],
    [3 * 3600 + 5 * 60 + 7, '3:05:07'],
  ])('formats %d s as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
