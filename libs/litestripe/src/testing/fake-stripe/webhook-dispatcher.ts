import type Stripe from 'stripe';
import type { WebhookEndpoint } from './fake-stripe.options.js';
import { deliverEvent } from './webhook-delivery.js';

/** One automatic delivery attempt. `status` is null when the endpoint could not be reached. */
export interface WebhookAttempt {
  eventId: string;
  type: string;
  status: number | null;
  error?: string;
}

/** Pushes events to the configured endpoint one at a time, in the order they were recorded. */
export class WebhookDispatcher {
  private endpoint: Required<WebhookEndpoint> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private controller = new AbortController();
  readonly attempts: WebhookAttempt[] = [];

  constructor(
    private readonly onResult: (eventId: string, delivered: boolean) => void,
    /** The fake's clock (unix seconds): Stripe signs deliveries at its own time. */
    private readonly now: () => number,
  ) {}

  get active(): boolean {
    return this.endpoint !== null;
  }

  setEndpoint(endpoint: Required<WebhookEndpoint> | null): void {
    this.endpoint = endpoint;
  }

  enqueue(event: Stripe.Event): void {
    const endpoint = this.endpoint;
    if (!endpoint) return;
    const signal = this.controller.signal;
    this.chain = this.chain.then(() => this.attempt(event, endpoint, signal));
  }

  /** Resolves once every queued event has been attempted. */
  flush(): Promise<void> {
    return this.chain;
  }

  /** Aborts in-flight deliveries and drops the queue. */
  stop(): void {
    this.controller.abort();
    this.controller = new AbortController();
    this.chain = Promise.resolve();
  }

  private async attempt(event: Stripe.Event, endpoint: Required<WebhookEndpoint>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    try {
      const result = await deliverEvent(event, { url: endpoint.url, secret: endpoint.secret, signal, timestamp: this.now() });
      this.attempts.push({ eventId: event.id, type: event.type, status: result.status });
      this.onResult(event.id, result.ok);
    } catch (error) {
      this.attempts.push({ eventId: event.id, type: event.type, status: null, error: error instanceof Error ? error.message : String(error) });
      this.onResult(event.id, false);
    }
  }
}
