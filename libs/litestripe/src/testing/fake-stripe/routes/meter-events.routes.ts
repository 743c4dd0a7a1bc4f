import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { FakeStripeApiError, invalidRequest, parameterMissing } from '../api-error.js';
import { SECONDS_PER_DAY } from '../billing/billing-period.js';
import { activeMeterFor } from '../billing/meter-usage.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { buildMeterEvent } from '../objects/meter.object.js';
import { optionalInteger, optionalObject, optionalString, requiredString } from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';

/** Stripe takes events up to 35 calendar days old and up to 5 minutes ahead. */
const MAX_AGE_SECONDS = 35 * SECONDS_PER_DAY;
const MAX_AHEAD_SECONDS = 5 * 60;
/** Stripe enforces identifier uniqueness over a rolling period of (at least) 24 hours. */
const IDENTIFIER_WINDOW_SECONDS = SECONDS_PER_DAY;
const MAX_IDENTIFIER_LENGTH = 100;
const NUMBER = /^\d+(\.\d+)?$/;

export const meterEventRoutes: Route[] = [{ method: 'POST', pattern: '/v1/billing/meter_events', handler: create }];

/**
 * Records usage for the active meter of `event_name`. Stripe validates some of this
 * asynchronously (error reports); the fake answers every refusal at once, as a 400.
 */
function create({ params }: ApiRequest, ctx: FakeStripeContext): Stripe.Billing.MeterEvent {
  const eventName = requiredString(params, 'event_name');
  const payload = readPayload(params);
  const requestedIdentifier = optionalString(params, 'identifier') || undefined;
  if (requestedIdentifier && requestedIdentifier.length > MAX_IDENTIFIER_LENGTH) {
    throw invalidRequest(`Invalid identifier: must be at most ${MAX_IDENTIFIER_LENGTH} characters.`, 'identifier');
  }
  const now = ctx.clock.now();
  const timestamp = optionalInteger(params, 'timestamp') ?? now;
  const meter = activeMeterFor(ctx, eventName);
  if (!meter) throw invalidRequest(`No active meter was found for the event_name \`${eventName}\`.`, 'event_name');
  if (timestamp < now - MAX_AGE_SECONDS) {
    throw invalidRequest('The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.', 'timestamp');
  }
  if (timestamp > now + MAX_AHEAD_SECONDS) {
    throw invalidRequest('The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.', 'timestamp');
  }
  const customer = readCustomer(meter, payload);
  const value = readValue(meter, payload);
  const identifier = requestedIdentifier ?? randomUUID();
  const acceptedAt = ctx.store.meterEvents.acceptedAt(identifier);
  if (acceptedAt !== undefined && now - acceptedAt < IDENTIFIER_WINDOW_SECONDS) throw duplicateIdentifier(identifier);
  const event = buildMeterEvent({ eventName, identifier, payload, timestamp, created: now });
  ctx.store.meterEvents.add({ event, meter: meter.id, customer, value });
  return event;
}

function readPayload(params: FormParams): Record<string, string> {
  const payload = optionalObject(params, 'payload');
  if (!payload) throw parameterMissing('payload');
  const read: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value !== 'string') throw invalidRequest(`Invalid payload value for key '${key}': payload values must be strings.`, `payload[${key}]`);
    read[key] = value;
  }
  return read;
}

function readCustomer(meter: Stripe.Billing.Meter, payload: Record<string, string>): string {
  const key = meter.customer_mapping.event_payload_key;
  const customer = payload[key];
  if (!customer) throw invalidRequest(`The payload is missing the customer mapping key \`${key}\` of meter \`${meter.id}\`.`, `payload[${key}]`);
  return customer;
}

/** `sum` and `last` meters need a numeric value; `count` meters count events and ignore a missing one. */
function readValue(meter: Stripe.Billing.Meter, payload: Record<string, string>): number {
  const key = meter.value_settings.event_payload_key;
  const raw = payload[key];
  if (raw === undefined && meter.default_aggregation.formula === 'count') return 0;
  if (raw === undefined || raw === '') throw invalidRequest(`The payload is missing the value key \`${key}\` of meter \`${meter.id}\`.`, `payload[${key}]`);
  if (!NUMBER.test(raw)) throw invalidRequest(`The payload value \`${key}\` must be a non-negative number; got ${JSON.stringify(raw)}.`, `payload[${key}]`);
  return Number(raw);
}

/** Stripe's answer to a reused identifier: a 400 it marks as not worth retrying. */
function duplicateIdentifier(identifier: string): FakeStripeApiError {
  return new FakeStripeApiError(
    400,
    { type: 'invalid_request_error', message: `An event already exists with identifier ${identifier}.`, param: 'identifier' },
    { 'Stripe-Should-Retry': 'false' },
  );
}
