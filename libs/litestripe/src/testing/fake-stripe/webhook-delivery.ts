import Stripe from 'stripe';

export interface DeliveryTarget {
  url: string;
  secret: string;
  /** Signature timestamp in unix seconds; defaults to the wall clock (the fake Stripe passes its own clock). */
  timestamp?: number;
  signal?: AbortSignal;
}

export interface DeliveryResult {
  status: number;
  body: string;
  ok: boolean;
}

/** POSTs an event the way Stripe delivers webhooks: pretty-printed JSON with a real `Stripe-Signature`. */
export async function deliverEvent(event: unknown, target: DeliveryTarget): Promise<DeliveryResult> {
  const payload = JSON.stringify(event, null, 2);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: target.secret, timestamp: target.timestamp });
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
    body: payload,
    signal: target.signal,
  });
  return { status: response.status, body: await response.text(), ok: response.ok };
}
