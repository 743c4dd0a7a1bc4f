import type Stripe from 'stripe';

/** Test support (not part of the library API): outcomes of calls the rate limiter refuses. */

/** What `call` rejected with; a call that resolves fails the test. */
export function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value: unknown) => {
      throw new Error(`Expected the call to be refused, but it resolved: ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/**
 * Counts the attempts stripe-node hands to its HTTP client, its own retries included: the client's
 * `request` event fires once per attempt, `response` once per answer it acts on (the last one).
 */
export function countAttempts(stripe: Stripe): { requests: number; responses: { status?: number; request_id?: string }[] } {
  const counts = { requests: 0, responses: [] as { status?: number; request_id?: string }[] };
  stripe.on('request', () => void counts.requests++);
  stripe.on('response', (event: { status?: number; request_id?: string }) => void counts.responses.push(event));
  return counts;
}
