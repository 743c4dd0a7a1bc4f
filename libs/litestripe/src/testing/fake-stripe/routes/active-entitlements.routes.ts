import { resourceMissing } from '../api-error.js';
import { activeEntitlements, findActiveEntitlement } from '../billing/entitlements.js';
import { listCollection } from '../list-page.js';
import { requiredString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const activeEntitlementRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/entitlements/active_entitlements/:id',
    handler: ({ pathParams }, ctx) => {
      const entitlement = findActiveEntitlement(ctx, pathParams.id);
      if (!entitlement) throw resourceMissing('entitlements.active_entitlement', pathParams.id);
      return entitlement;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/entitlements/active_entitlements',
    handler: ({ params }, ctx) => {
      const customer = mustGet(ctx.store.customers, requiredString(params, 'customer'), 'customer');
      return listCollection(activeEntitlements(ctx, customer.id), params, '/v1/entitlements/active_entitlements');
    },
  },
];
