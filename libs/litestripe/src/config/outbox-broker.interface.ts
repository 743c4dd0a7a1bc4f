/**
 * One domain event as a message broker receives it: a versioned JSON envelope around the payload
 * the in-process listeners get. Consumers deduplicate by `id` and order one subscription's events
 * by `stripeCreated`, then `sequence`.
 */
export interface LitestripeBrokerMessage<TData = Record<string, unknown>> {
  /** Envelope version. Changes that would break a consumer come with a new version. */
  version: 1;
  /**
   * The domain event's stable id (`<stripe event id>:<event name>`): the same on every redelivery,
   * so it is the broker's message id (AMQP `messageId`, JetStream `Nats-Msg-Id`) and the
   * consumer's deduplication key.
   */
  id: string;
  /** Event name, e.g. `litestripe.subscription.activated`: the routing key or subject. */
  name: string;
  /** The Stripe event (or API request) the domain event came from. */
  stripeEventId: string;
  /** The Stripe event's `created` (Unix seconds); null for events not caused by a Stripe event. */
  stripeCreated: number | null;
  /** The subscription it concerns (the ordering key), or null. */
  subscriptionId: string | null;
  /** Position in the order the outbox recorded entries (a decimal integer, increasing). */
  sequence: string;
  /** When the outbox recorded it (ISO 8601). */
  recordedAt: string;
  /** The domain event's payload as JSON (dates as ISO 8601 strings). */
  data: TData;
}

/**
 * A destination the outbox publishes every domain event to, beside (or instead of) the in-process
 * bus. `@litestripe/nestjs/brokers` has RabbitMQ and NATS JetStream ones; anything with these
 * three methods works.
 */
export interface OutboxBroker {
  /** The destination's name, under which its delivered marks are kept: 1-40 of a-z, 0-9, `-`, `_`. Do not rename it while entries wait. */
  readonly name: string;
  /**
   * How long the broker itself drops a message whose id it has already stored (JetStream's
   * duplicate window), in milliseconds; absent when it does not deduplicate.
   */
  readonly deduplicationWindowMs?: number;
  /** Opens the connection (again after a failure); rejects when the broker cannot be reached. */
  connect(): Promise<void>;
  /**
   * Publishes one message and resolves once the broker has confirmed it (stored, or routed and
   * confirmed); rejects otherwise. Called in outbox order without waiting for the previous call's
   * confirmation, so it must send in call order.
   */
  publish(message: LitestripeBrokerMessage): Promise<void>;
  /** Closes the connection at shutdown. */
  close(): Promise<void>;
}
