import type { LitestripeBrokerMessage } from '../../config/outbox-broker.interface.js';
import type { LeasedPublication } from './publication.repository.js';

/** The versioned envelope a broker gets for an outbox entry: its JSON as recorded, and what consumers order and deduplicate by. */
export function brokerMessage(entry: LeasedPublication): LitestripeBrokerMessage {
  const { payload } = entry;
  const stripeEvent = payload.stripeEvent as { created?: unknown } | undefined;
  const subscription = payload.subscription as { id?: unknown } | undefined;
  const subscriptionId = subscription?.id ?? payload.subscriptionId;
  return {
    version: 1,
    id: entry.id,
    name: entry.name,
    stripeEventId: entry.stripeEventId,
    stripeCreated: typeof stripeEvent?.created === 'number' ? stripeEvent.created : null,
    subscriptionId: typeof subscriptionId === 'string' ? subscriptionId : null,
    sequence: entry.sequence,
    recordedAt: entry.recordedAt.toISOString(),
    data: payload,
  };
}
