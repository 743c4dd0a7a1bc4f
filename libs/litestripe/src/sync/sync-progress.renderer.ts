import type { SyncProgress } from './sync-options.interface.js';
import { SYNC_COUNTERS, type SyncSummary } from './sync-summary.js';

/** Where the CLI writes: `process.stdout` or anything shaped like it. */
export interface OutputStream {
  write(text: string): unknown;
  /** A terminal: the progress bar is redrawn in place. */
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressRendererOptions {
  /** Without a terminal: a line every this many items. */
  every: number;
  /** Milliseconds since some origin. @default performance.now */
  now?: () => number;
  /** Least time between two redraws of the bar, in ms. @default 100 */
  redrawMs?: number;
}

/** The rate is taken over this recent stretch, so the ETA follows the rate limiter's pace. */
const RATE_WINDOW_MS = 10_000;
const BAR_WIDTH = 24;
const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows a sync's progress: on a terminal one line redrawn in place (bar, count, rate per second,
 * ETA; "?" where the total is unknown), otherwise a plain line every N items.
 */
export class SyncProgressRenderer {
  private readonly now: () => number;
  private readonly samples: { at: number; done: number }[] = [];
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private line = '';
  private last: SyncProgress | null = null;
  private drawn: SyncProgress | null = null;

  constructor(
    private readonly out: OutputStream,
    private readonly label: string,
    private readonly options: ProgressRendererOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.samples.push({ at: this.now(), done: 0 });
  }

  update(progress: SyncProgress): void {
    const at = this.now();
    this.last = progress;
    this.samples.push({ at, done: progress.done });
    while (this.samples.length > 2 && at - this.samples[1].at >= RATE_WINDOW_MS) this.samples.shift();
    const final = progress.total !== null && progress.done >= progress.total;
    if (this.out.isTTY) {
      if (final || at - this.lastDrawAt >= (this.options.redrawMs ?? 100)) this.draw(progress, at);
    } else if (progress.done % this.options.every === 0 || final) {
      this.out.write(`${this.plainLine(progress)}\n`);
    }
  }

  /** Runs `write` (a log line) with the bar cleared, then draws the bar again below it. */
  suspend<T>(write: () => T): T {
    if (!this.out.isTTY || this.line === '') return write();
    this.out.write(CLEAR_LINE);
    try {
      return write();
    } finally {
      this.out.write(this.line);
    }
  }

  /** Leaves the terminal on a fresh line: the last state of the bar stays visible. */
  finish(): void {
    if (!this.out.isTTY) return;
    if (this.last && this.last !== this.drawn) this.draw(this.last, this.now());
    if (this.line !== '') this.out.write('\n');
    this.line = '';
  }

  /** Items per second over the last few seconds. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.done - first.done) / seconds : 0;
  }

  private draw(progress: SyncProgress, at: number): void {
    const line = this.barLine(progress);
    this.drawn = progress;
    const width = Math.max((this.out.columns || 80) - 1, 20); // 0 where the terminal does not say
    this.line = line.length > width ? line.slice(0, width) : line;
    this.lastDrawAt = at;
    this.out.write(CLEAR_LINE + this.line);
  }

  private barLine({ done, total, summary }: SyncProgress): string {
    const counts = nonZeroCounts(summary);
    if (total === null) return `${this.label}  ${done}/?  ${this.rateText()}  ETA ?  ${counts}`;
    const filled = Math.min(Math.floor((BAR_WIDTH * done) / Math.max(total, 1)), BAR_WIDTH);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    return `${this.label}  ${bar} ${done}/${total} ${percent(done, total)}  ${this.rateText()}  ETA ${this.eta(done, total)}  ${counts}`;
  }

  private plainLine({ done, total, summary }: SyncProgress): string {
    const of = total === null ? `${done}/?` : `${done}/${total} (${percent(done, total)})`;
    const eta = total === null ? '?' : this.eta(done, total);
    return `${this.label}: ${of}, ${this.rateText()}, ETA ${eta}; ${nonZeroCounts(summary) || 'nothing counted yet'}`;
  }

  private rateText(): string {
    const rate = this.rate();
    return `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`;
  }

  private eta(done: number, total: number): string {
    const rate = this.rate();
    if (done >= total) return '0:00';
    return rate > 0 ? formatDuration((total - done) / rate) : '?';
  }
}

function percent(done: number, total: number): string {
  return `${Math.floor((100 * done) / Math.max(total, 1))}%`;
}

function nonZeroCounts(summary: SyncSummary): string {
  return SYNC_COUNTERS.filter((counter) => summary[counter] > 0)
    .map((counter) => `${counter} ${summary[counter]}`)
    .join(', ');
}

/** `m:ss`, or `h:mm:ss` from an hour up. */
export function formatDuration(seconds: number): string {
  const whole = Math.ceil(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secs}` : `${minutes}:${secs}`;
}
