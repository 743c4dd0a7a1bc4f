import type Stripe from 'stripe';
import { invalidRequest, parameterMissing } from '../api-error.js';
import { previewSubscriptionChange } from '../billing/invoice-preview.js';
import { currentPeriodEnd, currentPeriodStart } from '../billing/subscription-change.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { optionalEnum, optionalInteger, optionalObject, optionalString } from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';
import { readItemChanges } from './subscription-items.params.js';
import { PRORATION_BEHAVIORS } from './subscription.params.js';

const ENDED: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);
const DETAILS = 'subscription_details';

export const invoiceRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/invoices/create_preview', handler: createPreview },
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

/**
 * The preview of a change of an existing subscription (`subscription` and `subscription_details`
 * with `items`, `proration_behavior`, `proration_date`); nothing is stored, no event is recorded.
 * Previews of a new subscription or a schedule are not simulated.
 */
function createPreview({ params }: ApiRequest, ctx: FakeStripeContext): Stripe.Invoice {
  const subscriptionId = optionalString(params, 'subscription');
  if (!subscriptionId) throw invalidRequest('The fake Stripe previews changes of an existing subscription only: pass `subscription`.', 'subscription');
  const customerId = optionalString(params, 'customer');
  const customer = customerId ? mustGet(ctx.store.customers, customerId, 'customer') : undefined;
  const subscription = mustGet(ctx.store.subscriptions, subscriptionId, 'subscription');
  if (customer && subscription.customer !== customer.id) {
    throw invalidRequest(`The subscription ${subscription.id} does not belong to the customer ${customer.id}.`, 'subscription');
  }
  if (ENDED.has(subscription.status)) throw invalidRequest(`You cannot preview the upcoming invoice of a subscription that has ended (status: ${subscription.status}).`, 'subscription');
  const details = optionalObject(params, DETAILS) ?? {};
  const prorationBehavior = optionalEnum(details, 'proration_behavior', PRORATION_BEHAVIORS, DETAILS) ?? 'create_prorations';
  const items = readItemChanges(details, subscription, ctx);
  const prorationDate = optionalInteger(details, 'proration_date', DETAILS);
  if (prorationDate !== undefined) {
    const param = `${DETAILS}[proration_date]`;
    if (!items) throw parameterMissing(`${DETAILS}[items]`);
    if (prorationBehavior === 'none') throw invalidRequest(`${param} cannot be set when ${DETAILS}[proration_behavior] is \`none\`.`, param);
    if (prorationDate < currentPeriodStart(subscription) || prorationDate >= currentPeriodEnd(subscription)) {
      throw invalidRequest('The proration date must be within the current subscription period.', param);
    }
  }
  return previewSubscriptionChange(ctx, subscription, {
    items: items ?? subscription.items.data,
    prorationBehavior,
    prorationDate: prorationDate ?? Math.min(ctx.clock.now(), currentPeriodEnd(subscription) - 1),
  });
}
