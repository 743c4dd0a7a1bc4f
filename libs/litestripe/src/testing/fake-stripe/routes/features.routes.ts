import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { featureWithLookupKey } from '../catalog-seeding.js';
import { listCollection } from '../list-page.js';
import { buildFeature } from '../objects/entitlement.object.js';
import { applyMetadata, optionalBoolean, optionalString, requiredString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const featureRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/entitlements/features',
    handler: ({ params }, ctx) => {
      const name = requiredString(params, 'name');
      const lookupKey = requiredString(params, 'lookup_key');
      if (featureWithLookupKey(ctx, lookupKey)) throw invalidRequest(`A feature with the lookup_key ${lookupKey} already exists.`, 'lookup_key');
      return ctx.store.features.add(buildFeature({ name, lookupKey, metadata: applyMetadata({}, params) }));
    },
  },
  { method: 'GET', pattern: '/v1/entitlements/features/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.features, pathParams.id) },
  {
    method: 'GET',
    pattern: '/v1/entitlements/features',
    handler: ({ params }, ctx) => {
      const lookupKey = optionalString(params, 'lookup_key');
      const archived = optionalBoolean(params, 'archived');
      return listCollection(ctx.store.features, params, '/v1/entitlements/features', (feature: Stripe.Entitlements.Feature) =>
        (!lookupKey || feature.lookup_key === lookupKey) && (archived === undefined || feature.active !== archived),
      );
    },
  },
];
