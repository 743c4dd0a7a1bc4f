import type Stripe from 'stripe';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const paymentIntentRoutes: Route[] = [
  { method: 'GET', pattern: '/v1/payment_intents/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.paymentIntents, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/payment_intents',
    handler: ({ params }, ctx) => {
      const customer = optionalString(params, 'customer');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.paymentIntents, params, '/v1/payment_intents', (intent: Stripe.PaymentIntent) =>
        (!customer || intent.customer === customer) && inRange(intent.created, created),
      );
    },
  },
];
