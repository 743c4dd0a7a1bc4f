import type Stripe from 'stripe';
import { idOf, invoiceSubscriptionId, objectOf } from '../state/stripe-payload.js';

/** The subscription and customer an event is about, as the event log keeps them for an account's timeline. */
export interface EventSubjects {
  subscriptionId: string | null;
  customerId: string | null;
}

/**
 * Reads them from the payload in the shape of any API version: a subscription is its own subject; an
 * invoice names its subscription at the top (before 2025-03-31) or under
 * `parent.subscription_details`; a checkout session, a schedule or a payment names them as fields.
 */
export function eventSubjectsOf(event: Stripe.Event): EventSubjects {
  const object = objectOf(event.data?.object);
  if (object === null) return { subscriptionId: null, customerId: null };
  return {
    // Any other object names its subscription as an invoice does, at the top or under `parent`.
    subscriptionId: object.object === 'subscription' ? idOf(object) : invoiceSubscriptionId(object),
    customerId: object.object === 'customer' ? idOf(object) : idOf(object.customer),
  };
}
