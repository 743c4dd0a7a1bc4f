import type Stripe from 'stripe';
import { stripeId } from '../ids.js';

export interface BillingPortalSessionInput {
  customer: string;
  returnUrl: string | null;
  configuration: string;
  locale: Stripe.BillingPortal.Session.Locale | null;
  created: number;
  baseUrl: string;
}

export function buildBillingPortalSession(input: BillingPortalSessionInput): Stripe.BillingPortal.Session {
  const id = stripeId('bps');
  return {
    id,
    object: 'billing_portal.session',
    configuration: input.configuration,
    created: input.created,
    customer: input.customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: input.locale,
    on_behalf_of: null,
    return_url: input.returnUrl,
    url: `${input.baseUrl}/billing_portal/${id}`,
  };
}
