import type Stripe from 'stripe';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const chargeRoutes: Route[] = [
  { method: 'GET', pattern: '/v1/charges/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.charges, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/charges',
    handler: ({ params }, ctx) => {
      const paymentIntent = optionalString(params, 'payment_intent');
      const customer = optionalString(params, 'customer');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.charges, params, '/v1/charges', (charge: Stripe.Charge) =>
        (!paymentIntent || charge.payment_intent === paymentIntent) && (!customer || charge.customer === customer) && inRange(charge.created, created),
      );
    },
  },
];
