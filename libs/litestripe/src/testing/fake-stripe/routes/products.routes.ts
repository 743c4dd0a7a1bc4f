import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { previousAttributes } from '../billing/previous-attributes.js';
import { listCollection } from '../list-page.js';
import { buildProduct } from '../objects/product.object.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { applyMetadata, optionalBoolean, optionalString, requiredString, stringArray } from '../request-params.js';
import type { Route } from '../router.js';
import { mustGet } from './lookup.js';

export const productRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/v1/products',
    handler: ({ params, eventRequest }, ctx) => {
      const id = optionalString(params, 'id') || undefined;
      if (id && ctx.store.products.has(id)) throw invalidRequest(`Product already exists.`, 'id');
      const product = buildProduct({
        id,
        name: requiredString(params, 'name'),
        description: optionalString(params, 'description') ?? null,
        active: optionalBoolean(params, 'active'),
        metadata: applyMetadata({}, params),
        created: ctx.clock.now(),
      });
      ctx.store.products.add(product);
      ctx.events.record('product.created', product, eventRequest);
      return product;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products/:id',
    handler: ({ pathParams }, ctx) => mustGet(ctx.store.products, pathParams.id),
  },
  {
    method: 'POST',
    pattern: '/v1/products/:id',
    handler: ({ pathParams, params, eventRequest }, ctx) => {
      const product = mustGet(ctx.store.products, pathParams.id);
      const before = structuredClone(product);
      product.name = optionalString(params, 'name') || product.name;
      product.active = optionalBoolean(params, 'active') ?? product.active;
      const description = optionalString(params, 'description');
      if (description !== undefined) product.description = description || null;
      product.metadata = applyMetadata(product.metadata, params);
      product.updated = ctx.clock.now();
      ctx.events.record('product.updated', product, eventRequest, previousAttributes(before, product));
      return product;
    },
  },
  {
    method: 'GET',
    pattern: '/v1/products',
    handler: ({ params }, ctx) => {
      const active = optionalBoolean(params, 'active');
      const ids = stringArray(params, 'ids');
      const created = readRangeFilter(params.created, 'created');
      return listCollection(ctx.store.products, params, '/v1/products', (product: Stripe.Product) =>
        (active === undefined || product.active === active) && (!ids || ids.includes(product.id)) && inRange(product.created, created),
      );
    },
  },
];
