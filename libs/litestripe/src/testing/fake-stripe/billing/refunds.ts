import type Stripe from 'stripe';
import { invalidRequest, invalidRequestWithCode, parameterInvalid, resourceMissing } from '../api-error.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildRefund } from '../objects/refund.object.js';
import { previousAttributes } from './previous-attributes.js';

export interface RefundRequest {
  /** Exactly one of `charge` and `paymentIntent`. */
  charge?: string;
  paymentIntent?: string;
  /** Minor units; default: all that is not refunded yet. */
  amount?: number;
  reason?: Stripe.Refund.Reason | null;
  metadata?: Record<string, string>;
}

/** `POST /v1/refunds`: refunds part or all of a charge, then records `refund.created` and `charge.refunded`. */
export function refundCharge(ctx: FakeStripeContext, input: RefundRequest, request: Stripe.Event.Request): Stripe.Refund {
  const charge = chargeToRefund(ctx, input);
  if (input.amount !== undefined && input.amount < 1) {
    throw parameterInvalid('amount', 'This value must be greater than or equal to 1.', 'parameter_invalid_integer');
  }
  if (ctx.store.disputes.find((dispute) => dispute.charge === charge.id && !dispute.is_charge_refundable)) {
    throw invalidRequestWithCode('charge_disputed', `Charge ${charge.id} has been charged back; cannot issue a refund.`);
  }
  const unrefunded = charge.amount - charge.amount_refunded;
  if (unrefunded === 0) throw invalidRequestWithCode('charge_already_refunded', `Charge ${charge.id} has already been refunded.`);
  const amount = input.amount ?? unrefunded;
  if (amount > unrefunded) {
    // Stripe answers this one without an error code.
    throw invalidRequest(`Refund amount (${money(amount, charge.currency)}) is greater than unrefunded amount on charge (${money(unrefunded, charge.currency)})`, 'amount');
  }
  const before = structuredClone(charge);
  const refund = ctx.store.refunds.add(
    buildRefund({ charge, amount, reason: input.reason ?? null, metadata: input.metadata ?? {}, created: ctx.clock.now() }),
  );
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  ctx.events.record('refund.created', refund, request);
  ctx.events.record('charge.refunded', charge, request, previousAttributes(before, charge));
  return refund;
}

function chargeToRefund(ctx: FakeStripeContext, input: RefundRequest): Stripe.Charge {
  if (input.charge === undefined && input.paymentIntent === undefined) {
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.');
  }
  if (input.charge !== undefined && input.paymentIntent !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'payment_intent');
  }
  if (input.charge !== undefined) {
    const charge = ctx.store.charges.get(input.charge);
    if (!charge) throw resourceMissing('charge', input.charge);
    return charge;
  }
  const intentId = input.paymentIntent as string;
  const intent = ctx.store.paymentIntents.get(intentId);
  if (!intent) throw resourceMissing('payment_intent', intentId);
  const charge = typeof intent.latest_charge === 'string' ? ctx.store.charges.get(intent.latest_charge) : undefined;
  if (charge?.status !== 'succeeded') throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`);
  return charge;
}

/** `$12.50`, `€7.00`: the amount in the currency's major unit, as Stripe writes it in refund errors. */
function money(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
