import { attachFeature, detachFeature, featuresOf } from '../billing/product-features.js';
import { listCollection } from '../list-page.js';
import { buildDeletedProductFeature } from '../objects/entitlement.object.js';
import { requiredString } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const productFeatureRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/products/:id/features',
    handler: ({ pathParams, params }, ctx) => {
      const product = mustGet(ctx.store.products, pathParams.id);
      const feature = mustGet(ctx.store.features, requiredString(params, 'entitlement_feature'), 'entitlement_feature');
      return attachFeature(ctx, product.id, feature);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products/:id/features',
    handler: ({ pathParams, params }, ctx) => {
      const product = mustGet(ctx.store.products, pathParams.id);
      return listCollection(featuresOf(ctx, product.id), params, `/v1/products/${product.id}/features`);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products/:id/features/:feature',
    handler: ({ pathParams }, ctx) => {
      const product = mustGet(ctx.store.products, pathParams.id);
      return mustGet(featuresOf(ctx, product.id), pathParams.feature);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/products/:id/features/:feature',
    handler: ({ pathParams }, ctx) => {
      const product = mustGet(ctx.store.products, pathParams.id);
      return buildDeletedProductFeature(detachFeature(ctx, product.id, pathParams.feature).id);
    },
  },
];
