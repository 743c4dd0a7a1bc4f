import type { EventRecorder } from './event-recorder.js';
import type { FakeClock } from './fake-clock.js';
import type { FakeStripeStore } from './fake-stripe.store.js';

/** What route handlers and billing simulations share. */
export interface FakeStripeContext {
  readonly store: FakeStripeStore;
  readonly clock: FakeClock;
  readonly events: EventRecorder;
  /** e.g. `http://127.0.0.1:12111`, for the hosted checkout and portal URLs. */
  baseUrl(): string;
}
