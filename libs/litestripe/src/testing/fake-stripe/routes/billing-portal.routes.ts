import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { buildBillingPortalSession } from '../objects/billing-portal-session.object.js';
import { optionalString, requiredString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

const DEFAULT_CONFIGURATION = 'bpc_fakestripedefault';

export const billingPortalRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/billing_portal/sessions',
    handler: ({ params }, ctx) => {
      const customer = mustGet(ctx.store.customers, requiredString(params, 'customer'), 'customer');
      const returnUrl = optionalString(params, 'return_url') || null;
      if (returnUrl !== null && !/^https?:\/\//.test(returnUrl)) throw invalidRequest('Not a valid URL', 'return_url');
      const session = buildBillingPortalSession({
        customer: customer.id,
        returnUrl,
        configuration: optionalString(params, 'configuration') || DEFAULT_CONFIGURATION,
        locale: (optionalString(params, 'locale') || null) as Stripe.BillingPortal.Session.Locale | null,
        created: ctx.clock.now(),
        baseUrl: ctx.baseUrl(),
      });
      return ctx.store.billingPortalSessions.add(session);
    },
  },
];
