import { randomBytes } from 'node:crypto';
import { StripeEventRef } from '../events/litestripe-event.payloads.js';

/**
 * Names an API answer written like a webhook (a sync, a success page, an action) where the domain
 * events name their Stripe event: the request's id, type `api.<operation>`. Without a request id (an
 * item of a list), a random part keeps two writes of one object in one second apart in the outbox.
 */
export function apiEventRef(requestId: string | null | undefined, objectId: string, operation: string, answeredAt: number, livemode: boolean): StripeEventRef {
  return new StripeEventRef(requestId || `sync_${objectId}_${answeredAt}_${randomBytes(4).toString('hex')}`, `api.${operation}`, answeredAt, livemode, null);
}
