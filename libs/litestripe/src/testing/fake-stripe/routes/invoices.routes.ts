import type Stripe from 'stripe';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const invoiceRoutes: Route[] = [
  { method: 'GET', pattern: '/v1/invoices/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.invoices, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/invoices',
    handler: ({ params }, ctx) => {
      const customer = optionalString(params, 'customer');
      const subscription = optionalString(params, 'subscription');
      const status = optionalString(params, 'status');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.invoices, params, '/v1/invoices', (invoice: Stripe.Invoice) =>
        (!customer || invoice.customer === customer) &&
        (!subscription || invoice.parent?.subscription_details?.subscription === subscription) &&
        (!status || invoice.status === status) &&
        inRange(invoice.created, created),
      );
    },
  },
];
