import type Stripe from 'stripe';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { failPayment, succeedPayment } from './payments.js';

export interface SettleDelayedPaymentOptions {
  /** false: the payment fails (default true: the money arrives). */
  succeed?: boolean;
}

/** Settles the delayed payment of a checkout completed with `delayedPayment`, as Stripe does days later. */
export function settleDelayedPayment(ctx: FakeStripeContext, sessionId: string, options: SettleDelayedPaymentOptions): Stripe.Checkout.Session {
  const session = ctx.store.checkoutSessions.get(sessionId);
  if (!session) throw new Error(`FakeStripe: no checkout session ${sessionId}`);
  const intent = typeof session.payment_intent === 'string' ? ctx.store.paymentIntents.get(session.payment_intent) : undefined;
  if (session.status !== 'complete' || session.payment_status !== 'unpaid' || intent?.status !== 'processing') {
    throw new Error(
      `FakeStripe: checkout session ${sessionId} has no delayed payment to settle (status ${session.status}, payment_status ${session.payment_status}, ` +
        `payment intent ${intent?.status ?? 'none'}); complete it with { delayedPayment: true } first`,
    );
  }
  if (options.succeed ?? true) {
    succeedPayment(ctx, intent);
    session.payment_status = 'paid';
    ctx.events.record('checkout.session.async_payment_succeeded', session, AUTOMATIC);
  } else {
    failPayment(ctx, intent);
    ctx.events.record('checkout.session.async_payment_failed', session, AUTOMATIC);
  }
  return session;
}
