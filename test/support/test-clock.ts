import type { LitestripeClock } from '@litestripe/nestjs';

/**
 * The tests' clock. It stands still at the whole second the process's clock showed when it was made
 * (under `npm run test:clock`, faketime's moment) and moves only when a test advances it. Hosts
 * give it to the module as its `clock` and sign deliveries at its time; the fake Stripe starts at
 * the same second (`fakeStripeNow`), so a test reads as a timeline whatever the date.
 */
export class TestClock implements LitestripeClock {
  /** Unix seconds where the clock starts, and returns to on reset(). */
  readonly startSeconds: number;
  private offsetSeconds = 0;

  constructor(startSeconds = Math.floor(Date.now() / 1000)) {
    this.startSeconds = startSeconds;
  }

  now(): Date {
    return new Date(this.seconds() * 1000);
  }

  /** Unix seconds, the unit of Stripe's timestamps. */
  seconds(): number {
    return this.startSeconds + this.offsetSeconds;
  }

  advance(seconds: number): void {
    this.offsetSeconds += seconds;
  }

  reset(): void {
    this.offsetSeconds = 0;
  }

  /** A `now` source for `FakeStripe.start()`: the fake starts where this clock started, then keeps its own offset. */
  get fakeStripeNow(): () => number {
    return () => this.startSeconds;
  }
}
