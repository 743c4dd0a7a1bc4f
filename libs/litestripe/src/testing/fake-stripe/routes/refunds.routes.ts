import type Stripe from 'stripe';
import { refundCharge } from '../billing/refunds.js';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { applyMetadata, optionalEnum, optionalInteger, optionalString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

/** The reasons a refund can be created with (`expired_uncaptured_charge` is Stripe's own). */
const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export const refundRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/refunds',
    handler: ({ params, eventRequest }, ctx) =>
      refundCharge(
        ctx,
        {
          charge: optionalString(params, 'charge') || undefined,
          paymentIntent: optionalString(params, 'payment_intent') || undefined,
          amount: optionalInteger(params, 'amount'),
          reason: optionalEnum(params, 'reason', REASONS) ?? null,
          metadata: applyMetadata({}, params),
        },
        eventRequest,
      ),
  },
  { method: 'GET', pattern: '/v1/refunds/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.refunds, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/refunds',
    handler: ({ params }, ctx) => {
      const charge = optionalString(params, 'charge');
      const paymentIntent = optionalString(params, 'payment_intent');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.refunds, params, '/v1/refunds', (refund: Stripe.Refund) =>
        (!charge || refund.charge === charge) && (!paymentIntent || refund.payment_intent === paymentIntent) && inRange(refund.created, created),
      );
    },
  },
];
