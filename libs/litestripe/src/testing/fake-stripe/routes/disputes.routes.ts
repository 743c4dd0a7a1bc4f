import type Stripe from 'stripe';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

/** Read-only: Stripe has no API to open a dispute; tests script them with `fake.openDispute`. */
export const disputeRoutes: Route[] = [
  { method: 'GET', pattern: '/v1/disputes/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.disputes, pathParams.id, 'dispute') },
  {
    method: 'GET',
    pattern: '/v1/disputes',
    handler: ({ params }, ctx) => {
      const charge = optionalString(params, 'charge');
      const paymentIntent = optionalString(params, 'payment_intent');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.disputes, params, '/v1/disputes', (dispute: Stripe.Dispute) =>
        (!charge || dispute.charge === charge) && (!paymentIntent || dispute.payment_intent === paymentIntent) && inRange(dispute.created, created),
      );
    },
  },
];
