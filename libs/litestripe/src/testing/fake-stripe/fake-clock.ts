/** Unix seconds, the unit of every Stripe timestamp. */
export type ClockSource = () => number;

const systemSeconds: ClockSource = () => Math.floor(Date.now() / 1000);

/** The fake's notion of "now": a source (injectable) plus the offset that `advanceClock` adds. */
export class FakeClock {
  private offsetSeconds = 0;

  constructor(private readonly source: ClockSource = systemSeconds) {}

  now(): number {
    return Math.floor(this.source()) + this.offsetSeconds;
  }

  advance(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`Cannot advance the clock by ${seconds} seconds`);
    this.offsetSeconds += Math.floor(seconds);
    return this.now();
  }

  reset(): void {
    this.offsetSeconds = 0;
  }
}
