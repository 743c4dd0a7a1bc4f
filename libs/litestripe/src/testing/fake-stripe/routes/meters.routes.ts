import type Stripe from 'stripe';
import { invalidRequest, parameterMissing } from '../api-error.js';
import { activeMeterFor, meterUsage } from '../billing/meter-usage.js';
import { previousAttributes } from '../billing/previous-attributes.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { listCollection, listEnvelope } from '../list-page.js';
import { buildMeter, buildMeterEventSummary, type MeterFormula } from '../objects/meter.object.js';
import { optionalEnum, optionalInteger, optionalObject, optionalString, requiredString } from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';

const FORMULAS: readonly MeterFormula[] = ['sum', 'count', 'last'];
const TIME_WINDOWS = ['day', 'hour'] as const;
const STATUSES = ['active', 'inactive'] as const;
const WINDOW_SECONDS: Record<(typeof TIME_WINDOWS)[number], number> = { hour: 3600, day: 86_400 };

export const meterRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/billing/meters', handler: create },
  { method: 'GET', pattern: '/v1/billing/meters', handler: list },
  { method: 'GET', pattern: '/v1/billing/meters/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.meters, pathParams.id) },
  { method: 'POST', pattern: '/v1/billing/meters/:id', handler: update },
  { method: 'POST', pattern: '/v1/billing/meters/:id/deactivate', handler: (request, ctx) => setStatus(request, ctx, 'inactive') },
  { method: 'POST', pattern: '/v1/billing/meters/:id/reactivate', handler: (request, ctx) => setStatus(request, ctx, 'active') },
  { method: 'GET', pattern: '/v1/billing/meters/:id/event_summaries', handler: eventSummaries },
];

function create({ params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Billing.Meter {
  const displayName = requiredString(params, 'display_name');
  const eventName = requiredString(params, 'event_name');
  const aggregation = optionalObject(params, 'default_aggregation');
  const formula = aggregation ? optionalEnum(aggregation, 'formula', FORMULAS, 'default_aggregation') : undefined;
  if (!formula) throw parameterMissing('default_aggregation[formula]');
  const customerKey = readCustomerMapping(params);
  const valueSettings = optionalObject(params, 'value_settings');
  const valueKey = valueSettings ? requiredString(valueSettings, 'event_payload_key', 'value_settings') : undefined;
  const eventTimeWindow = optionalEnum(params, 'event_time_window', TIME_WINDOWS) ?? null;
  rejectTakenEventName(ctx, eventName);
  const meter = ctx.store.meters.add(buildMeter({ displayName, eventName, formula, customerKey, valueKey, eventTimeWindow, created: ctx.clock.now() }));
  ctx.events.record('billing.meter.created', meter, eventRequest);
  return meter;
}

function list({ params }: ApiRequest, ctx: FakeStripeContext) {
  const status = optionalEnum(params, 'status', STATUSES);
  return listCollection(ctx.store.meters, params, '/v1/billing/meters', (meter: Stripe.Billing.Meter) => !status || meter.status === status);
}

function update({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Billing.Meter {
  const meter = mustGet(ctx.store.meters, pathParams.id);
  const before = structuredClone(meter);
  const displayName = optionalString(params, 'display_name');
  if (displayName) meter.display_name = displayName;
  const previous = previousAttributes(before, meter);
  if (Object.keys(previous).length > 0) {
    meter.updated = ctx.clock.now();
    ctx.events.record('billing.meter.updated', meter, eventRequest, previous);
  }
  return meter;
}

function setStatus({ pathParams, eventRequest }: ApiRequest, ctx: FakeStripeContext, status: 'active' | 'inactive'): Stripe.Billing.Meter {
  const meter = mustGet(ctx.store.meters, pathParams.id);
  if (meter.status === status) {
    throw invalidRequest(`This meter is already ${status === 'active' ? 'active' : 'deactivated'}.`, 'id');
  }
  if (status === 'active') rejectTakenEventName(ctx, meter.event_name);
  const now = ctx.clock.now();
  meter.status = status;
  meter.status_transitions = { deactivated_at: status === 'inactive' ? now : null };
  meter.updated = now;
  ctx.events.record(status === 'active' ? 'billing.meter.reactivated' : 'billing.meter.deactivated', meter, eventRequest);
  return meter;
}

/**
 * The customer's aggregated usage over `[start_time, end_time)`: one summary, or one per hour or
 * day with `value_grouping_window`, newest first (up to `limit`; no cursor pagination).
 */
function eventSummaries({ pathParams, params }: ApiRequest, ctx: FakeStripeContext) {
  const meter = mustGet(ctx.store.meters, pathParams.id);
  const customer = requiredString(params, 'customer');
  const start = optionalInteger(params, 'start_time');
  if (start === undefined) throw parameterMissing('start_time');
  const end = optionalInteger(params, 'end_time');
  if (end === undefined) throw parameterMissing('end_time');
  if (end <= start) throw invalidRequest('end_time must be after start_time.', 'end_time');
  const grouping = optionalEnum(params, 'value_grouping_window', TIME_WINDOWS);
  const step = grouping ? WINDOW_SECONDS[grouping] : end - start;
  const summaries: Stripe.Billing.MeterEventSummary[] = [];
  for (let from = start; from < end; from += step) {
    const to = Math.min(from + step, end);
    summaries.push(buildMeterEventSummary(meter.id, from, to, meterUsage(ctx, meter, customer, { from, to })));
  }
  const limit = optionalInteger(params, 'limit') ?? 10;
  const newestFirst = summaries.reverse();
  return listEnvelope(`/v1/billing/meters/${meter.id}/event_summaries`, newestFirst.slice(0, limit), newestFirst.length > limit);
}

/** `customer_mapping[type]=by_id` with `[event_payload_key]`; undefined keeps Stripe's default key. */
function readCustomerMapping(params: FormParams): string | undefined {
  const mapping = optionalObject(params, 'customer_mapping');
  if (!mapping) return undefined;
  const type = optionalEnum(mapping, 'type', ['by_id'] as const, 'customer_mapping');
  if (!type) throw parameterMissing('customer_mapping[type]');
  return requiredString(mapping, 'event_payload_key', 'customer_mapping');
}

/** Only one active meter may take a given `event_name`. */
function rejectTakenEventName(ctx: FakeStripeContext, eventName: string): void {
  const holder = activeMeterFor(ctx, eventName);
  if (holder) throw invalidRequest(`An active meter (\`${holder.id}\`) already uses the event_name \`${eventName}\`.`, 'event_name');
}
