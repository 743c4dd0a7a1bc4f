import type Stripe from 'stripe';
import { stripeId } from '../ids.js';

export interface EventInput {
  type: Stripe.Event.Type;
  object: unknown;
  previousAttributes?: Record<string, unknown>;
  request: Stripe.Event.Request;
  apiVersion: string;
  created: number;
  pendingWebhooks: number;
}

/** `object` is snapshotted: later changes to the resource must not leak into past events. */
export function buildEvent(input: EventInput): Stripe.Event {
  const data: Record<string, unknown> = { object: structuredClone(input.object) };
  if (input.previousAttributes) data.previous_attributes = structuredClone(input.previousAttributes);
  const event = {
    id: stripeId('evt'),
    object: 'event',
    api_version: input.apiVersion,
    created: input.created,
    data,
    livemode: false,
    pending_webhooks: input.pendingWebhooks,
    request: { ...input.request },
    type: input.type,
  };
  return event as unknown as Stripe.Event;
}
