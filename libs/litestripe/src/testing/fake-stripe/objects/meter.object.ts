import type Stripe from 'stripe';
import { stripeId } from '../ids.js';

export type MeterFormula = 'sum' | 'count' | 'last';

/** Stripe's defaults: the customer id under `stripe_customer_id`, the usage under `value`. */
export const DEFAULT_CUSTOMER_KEY = 'stripe_customer_id';
export const DEFAULT_VALUE_KEY = 'value';

export interface MeterInput {
  displayName: string;
  eventName: string;
  formula: MeterFormula;
  customerKey?: string;
  valueKey?: string;
  eventTimeWindow?: Stripe.Billing.Meter.EventTimeWindow | null;
  created: number;
}

export function buildMeter(input: MeterInput): Stripe.Billing.Meter {
  return {
    id: stripeId('mtr'),
    object: 'billing.meter',
    created: input.created,
    customer_mapping: { event_payload_key: input.customerKey ?? DEFAULT_CUSTOMER_KEY, type: 'by_id' },
    default_aggregation: { formula: input.formula },
    display_name: input.displayName,
    event_name: input.eventName,
    event_time_window: input.eventTimeWindow ?? null,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: input.created,
    value_settings: { event_payload_key: input.valueKey ?? DEFAULT_VALUE_KEY },
  };
}

export interface MeterEventInput {
  eventName: string;
  identifier: string;
  payload: Record<string, string>;
  timestamp: number;
  created: number;
}

export function buildMeterEvent(input: MeterEventInput): Stripe.Billing.MeterEvent {
  return {
    object: 'billing.meter_event',
    created: input.created,
    event_name: input.eventName,
    identifier: input.identifier,
    livemode: false,
    payload: { ...input.payload },
    timestamp: input.timestamp,
  };
}

/** What `GET /v1/billing/meters/:id/event_summaries` lists: one aggregate per window. */
export function buildMeterEventSummary(meter: string, startTime: number, endTime: number, aggregatedValue: number): Stripe.Billing.MeterEventSummary {
  return {
    id: stripeId('mtrusg'),
    object: 'billing.meter_event_summary',
    aggregated_value: aggregatedValue,
    end_time: endTime,
    livemode: false,
    meter,
    start_time: startTime,
  };
}
