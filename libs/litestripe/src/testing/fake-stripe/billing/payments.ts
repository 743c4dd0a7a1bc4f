import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildCharge } from '../objects/charge.object.js';
import { buildPaymentIntent } from '../objects/payment-intent.object.js';

export interface NewPayment {
  amount: number;
  currency: string;
  customer: Stripe.Customer;
  metadata: Record<string, string>;
  /** A delayed method (a bank debit): the PaymentIntent stays `processing` until settled. */
  delayed: boolean;
}

/** The PaymentIntent a payment-mode checkout confirms: paid at once, or left `processing`. */
export function startPayment(ctx: FakeStripeContext, input: NewPayment): Stripe.PaymentIntent {
  const intent = ctx.store.paymentIntents.add(
    buildPaymentIntent({
      amount: input.amount,
      currency: input.currency,
      customer: input.customer.id,
      metadata: input.metadata,
      status: 'processing',
      created: ctx.clock.now(),
    }),
  );
  if (!input.delayed) succeedPayment(ctx, intent);
  return intent;
}

/** The money arrives: a charge, `charge.succeeded`, then `payment_intent.succeeded`, as Stripe orders them. */
export function succeedPayment(ctx: FakeStripeContext, intent: Stripe.PaymentIntent): Stripe.Charge {
  const customer = typeof intent.customer === 'string' ? (ctx.store.customers.get(intent.customer) ?? null) : null;
  const charge = ctx.store.charges.add(buildCharge({ paymentIntent: intent, customer, created: ctx.clock.now() }));
  Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id });
  ctx.events.record('charge.succeeded', charge, AUTOMATIC);
  ctx.events.record('payment_intent.succeeded', intent, AUTOMATIC);
  return charge;
}

/** A delayed payment bounces: the PaymentIntent wants a new payment method. */
export function failPayment(ctx: FakeStripeContext, intent: Stripe.PaymentIntent): void {
  Object.assign(intent, {
    status: 'requires_payment_method',
    last_payment_error: { type: 'invalid_request_error', code: 'payment_intent_payment_attempt_failed', message: 'The payment failed.' },
  });
  ctx.events.record('payment_intent.payment_failed', intent, AUTOMATIC);
}

/** A charge by its id, or the latest charge of a PaymentIntent by the intent's id. */
export function chargeOf(ctx: FakeStripeContext, paymentIntentOrChargeId: string): Stripe.Charge | undefined {
  const intent = ctx.store.paymentIntents.get(paymentIntentOrChargeId);
  const chargeId = intent ? intent.latest_charge : paymentIntentOrChargeId;
  return typeof chargeId === 'string' ? ctx.store.charges.get(chargeId) : undefined;
}
