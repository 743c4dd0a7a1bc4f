import Stripe from 'stripe';

/**
 * A `Stripe-Signature` header for `payload`, made exactly as Stripe makes it, dated `timestamp`
 * (unix seconds; default now). Asynchronous (Web Crypto): await it.
 */
export function signStripePayload(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
}

export interface SignedDelivery {
  body: string;
  headers: { 'content-type': string; 'stripe-signature': string };
}

/**
 * The body and headers of a webhook delivery of `event`, signed with `secret` at `timestamp` (unix
 * seconds; default now: give your module `clock`'s time when you set one). Asynchronous: await it.
 *
 * @example
 * const { body, headers } = await signedDelivery(buildStripeEvent('customer.subscription.updated', subscription), fake.webhookSecret);
 * await request(app.getHttpServer()).post(`/ls/hook/${webhookUuid}`).set(headers).send(body).expect(200);
 */
export async function signedDelivery(event: object, secret: string, timestamp?: number): Promise<SignedDelivery> {
  const body = JSON.stringify(event, null, 2);
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': await signStripePayload(body, secret, timestamp) } };
}
