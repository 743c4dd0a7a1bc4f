import type Stripe from 'stripe';

/** The Stripe client, or an error saying how to provide it (it is registered by LitestripeModule itself). */
export function requireStripe(stripe: Stripe | undefined): Stripe {
  if (!stripe) {
    throw new Error(
      'Litestripe has no Stripe client: this action calls the Stripe API. Register the module with LitestripeModule.forRoot()/forRootAsync() ' +
        '(it provides the client), or provide one under getStripeClientToken() in tests.',
    );
  }
  return stripe;
}
