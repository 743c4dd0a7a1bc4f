import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalBoolean, optionalString, stringArray } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const eventRoutes: Route[] = [
  { method: 'GET', pattern: '/v1/events/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.events, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/events',
    handler: ({ params }, ctx) => {
      const type = optionalString(params, 'type');
      const types = stringArray(params, 'types');
      if (type && types) throw invalidRequest('You may only specify one of these parameters: type, types.', 'types');
      if (types && types.length > 20) throw invalidRequest('You may pass at most 20 types.', 'types');
      const patterns = (types ?? (type ? [type] : [])).map(typePattern);
      const created = readRangeFilter(params.created, 'created');
      const delivered = optionalBoolean(params, 'delivery_success');
      return listCollection(ctx.store.events, params, '/v1/events', (event: Stripe.Event) =>
        (patterns.length === 0 || patterns.some((pattern) => pattern.test(event.type))) &&
        inRange(event.created, created) &&
        (delivered === undefined || (event.pending_webhooks === 0) === delivered),
      );
    },
  },
];

/** `customer.subscription.*` style wildcards. */
function typePattern(type: string): RegExp {
  const escaped = type.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
