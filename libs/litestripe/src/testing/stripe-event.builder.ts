import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';

let sequence = 0;

/** A fresh Stripe-looking id with the given prefix (`evt`, `sub`, `cus`, ...). */
export function stripeId(prefix: string): string {
  sequence += 1;
  return `${prefix}_test${sequence.toString(36)}${randomBytes(9).toString('hex')}`;
}

export interface StripeEventOptions {
  id?: string;
  /** Unix seconds. @default now */
  created?: number;
  /** @default '2026-10-28.endive' */
  apiVersion?: string | null;
  livemode?: boolean;
  account?: string;
  previousAttributes?: Record<string, unknown>;
}

/** Wraps an object in a Stripe event envelope, as Stripe sends it to a webhook endpoint. */
export function buildStripeEvent(type: string, object: Record<string, unknown>, options: StripeEventOptions = {}): Stripe.Event {
  return {
    id: options.id ?? stripeId('evt'),
    object: 'event',
    api_version: options.apiVersion === undefined ? '2026-10-28.endive' : options.apiVersion,
    created: options.created ?? Math.floor(Date.now() / 1000),
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...(options.account ? { account: options.account } : {}),
  } as unknown as Stripe.Event;
}
