import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { RecordedMeterEvent } from '../meter-event-log.js';

/** A usage window in unix seconds: `from` inclusive, `to` exclusive, on the events' `timestamp`. */
export interface UsagePeriod {
  from: number;
  to: number;
}

/** The meter that takes events of this `event_name` now (at most one is active per name). */
export function activeMeterFor(ctx: FakeStripeContext, eventName: string): Stripe.Billing.Meter | undefined {
  return ctx.store.meters.find((meter) => meter.event_name === eventName && meter.status === 'active');
}

/** A meter by id, else by event name (the active one, else the newest). */
export function findMeter(ctx: FakeStripeContext, idOrEventName: string): Stripe.Billing.Meter | undefined {
  return (
    ctx.store.meters.get(idOrEventName) ??
    activeMeterFor(ctx, idOrEventName) ??
    ctx.store.meters.find((meter) => meter.event_name === idOrEventName)
  );
}

/** A customer's usage on a meter over a period, per the meter's `default_aggregation.formula`. */
export function meterUsage(ctx: FakeStripeContext, meter: Stripe.Billing.Meter, customer: string, period: UsagePeriod): number {
  const events = ctx.store.meterEvents
    .values()
    .filter((record) => record.meter === meter.id && record.customer === customer && record.event.timestamp >= period.from && record.event.timestamp < period.to);
  return aggregate(meter.default_aggregation.formula, events);
}

/** The usage a metered subscription item bills for a period; 0 when its meter is gone. */
export function itemUsage(ctx: FakeStripeContext, item: Stripe.SubscriptionItem, customer: string, period: UsagePeriod): number {
  const meterId = item.price.recurring?.meter;
  const meter = meterId ? ctx.store.meters.get(meterId) : undefined;
  return meter ? meterUsage(ctx, meter, customer, period) : 0;
}

function aggregate(formula: Stripe.Billing.Meter.DefaultAggregation.Formula, events: RecordedMeterEvent[]): number {
  if (formula === 'count') return events.length;
  if (formula === 'last') {
    // The latest timestamp wins; of equal timestamps, the one accepted last.
    let last: RecordedMeterEvent | undefined;
    for (const record of events) if (!last || record.event.timestamp >= last.event.timestamp) last = record;
    return last?.value ?? 0;
  }
  return roundDecimal(events.reduce((sum, record) => sum + record.value, 0));
}

/** Sums of decimal strings without binary noise (0.1 + 0.2 is 0.3): Stripe keeps at most 12 decimals. */
function roundDecimal(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}
