/**
 * The envelope litestripe publishes for every domain event, declared here rather than imported:
 * a consumer service depends on the wire format, not on the billing library. Mirrors
 * `LitestripeBrokerMessage` of `@litestripe/nestjs` (version 1).
 *
 * On both brokers the body is Nest's packet `{ "pattern": <name>, "data": <this envelope> }`, so
 * an `@EventPattern(<name>)` handler receives the envelope as its payload.
 */
export interface LitestripeBrokerMessage<TData = Record<string, unknown>> {
  version: 1;
  /** Stable across redeliveries (`<stripe event id>:<event name>`): the deduplication key. */
  id: string;
  /** Event name, e.g. `litestripe.subscription.activated`: the routing key or subject. */
  name: string;
  stripeEventId: string;
  /** The Stripe event's `created` (Unix seconds); null for events not caused by a Stripe event. */
  stripeCreated: number | null;
  /** The subscription it concerns: the ordering key. */
  subscriptionId: string | null;
  /** Position in litestripe's outbox (a decimal integer, increasing). */
  sequence: string;
  /** When litestripe recorded it (ISO 8601). */
  recordedAt: string;
  data: TData;
}

/** The fields of the subscription row (in `data.subscription`) this example reads. */
export interface SubscriptionSnapshot {
  id: string;
  accountRef: string | null;
  status: string | null;
}

/** `data` of the `litestripe.subscription.*` and `litestripe.payment.*` events. */
export interface SubscriptionEventData {
  subscription?: SubscriptionSnapshot;
  invoiceId?: string;
}

/** The event names this example handles by name (see litestripe's `LitestripeEvents`). */
export const LitestripeEventNames = {
  SubscriptionActivated: 'litestripe.subscription.activated',
  PaymentFailed: 'litestripe.payment.failed',
  /** AMQP topic wildcard: every other litestripe event (`#` is zero or more words). */
  Any: 'litestripe.#',
} as const;

/** Whether a payload is a version-1 envelope this consumer can read. */
export function isLitestripeBrokerMessage(payload: unknown): payload is LitestripeBrokerMessage {
  const message = payload as Partial<LitestripeBrokerMessage> | null;
  return (
    typeof message === 'object' &&
    message !== null &&
    message.version === 1 &&
    typeof message.id === 'string' &&
    typeof message.name === 'string' &&
    typeof message.sequence === 'string' &&
    typeof message.data === 'object'
  );
}
