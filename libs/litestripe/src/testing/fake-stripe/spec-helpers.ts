import Stripe from 'stripe';
import type { FakeStripe } from './fake-stripe.server.js';

/** A real stripe client pointed at the fake; retries off unless asked, so failures surface. */
export function stripeClient(fake: FakeStripe, config: Omit<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> = {}, key = 'sk_test_fake'): Stripe {
  return new Stripe(key, { maxNetworkRetries: 0, ...config, ...fake.clientConfig() });
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('Expected the Stripe call to fail, but it succeeded');
}
