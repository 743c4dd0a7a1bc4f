import type Stripe from 'stripe';
import type { FakeClock } from './fake-clock.js';
import type { FakeStripeStore } from './fake-stripe.store.js';
import { buildEvent } from './objects/event.object.js';

/** Events caused by a test helper or by simulated time rather than by an API request. */
export const AUTOMATIC: Stripe.Event.Request = { id: null, idempotency_key: null };

export interface EventRecorderOptions {
  apiVersion: string;
  /** How many endpoints still have to receive a new event (Stripe's `pending_webhooks`). */
  pendingWebhooks: () => number;
  onRecorded: (event: Stripe.Event) => void;
}

/** Records the Event Stripe would emit for each state change, snapshotting the object. */
export class EventRecorder {
  private captures: Stripe.Event[][] = [];

  constructor(
    private readonly store: FakeStripeStore,
    private readonly clock: FakeClock,
    private readonly options: EventRecorderOptions,
  ) {}

  get apiVersion(): string {
    return this.options.apiVersion;
  }

  record(type: Stripe.Event.Type, object: unknown, request: Stripe.Event.Request, previousAttributes?: Record<string, unknown>): Stripe.Event {
    const event = buildEvent({
      type,
      object,
      previousAttributes,
      request,
      apiVersion: this.options.apiVersion,
      created: this.clock.now(),
      pendingWebhooks: this.options.pendingWebhooks(),
    });
    this.store.events.add(event);
    for (const capture of this.captures) capture.push(event);
    this.options.onRecorded(event);
    return event;
  }

  /** Runs `work` and returns the events it recorded, in order. */
  capture<T>(work: () => T): { result: T; events: Stripe.Event[] } {
    const events: Stripe.Event[] = [];
    this.captures.push(events);
    try {
      return { result: work(), events };
    } finally {
      this.captures = this.captures.filter((capture) => capture !== events);
    }
  }
}
