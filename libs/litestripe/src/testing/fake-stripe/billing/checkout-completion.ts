import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../api-error.js';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildCustomer } from '../objects/customer.object.js';
import { startPayment } from './payments.js';
import { createSubscription } from './subscription-create.js';

export interface CompleteCheckoutOptions {
  /** The email the customer types in; defaults to `customer_email` or a generated address. */
  email?: string;
  name?: string;
  /**
   * Payment mode only: the customer pays with a delayed method (a bank debit). The session completes
   * `unpaid` with its PaymentIntent `processing`, until `fake.settleDelayedPayment`.
   */
  delayedPayment?: boolean;
}

export interface CompletedCheckout {
  session: Stripe.Checkout.Session;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription | null;
  /** The PaymentIntent of a payment-mode session (null when nothing was due). */
  paymentIntent: Stripe.PaymentIntent | null;
  /** Everything Stripe emitted for this payment, in order; ready for `fake.deliver`. */
  events: Stripe.Event[];
}

/** What Stripe does when the customer pays on the hosted page. */
export function completeCheckoutSession(ctx: FakeStripeContext, sessionId: string, options: CompleteCheckoutOptions = {}): CompletedCheckout {
  const session = ctx.store.checkoutSessions.get(sessionId);
  const setup = ctx.store.checkoutSetups.get(sessionId);
  if (!session || !setup) throw resourceMissing('checkout.session', sessionId);
  if (session.status !== 'open') throw invalidRequest(`This Checkout Session is ${session.status} and can no longer be completed.`);
  if (options.delayedPayment && session.mode !== 'payment') throw new Error(`FakeStripe: delayedPayment is for payment-mode sessions; ${sessionId} is in ${session.mode} mode`);
  const { result, events } = ctx.events.capture(() => {
    const customer = resolveCustomer(ctx, session, options);
    const subscription =
      session.mode === 'subscription'
        ? createSubscription(
            ctx,
            {
              customer,
              items: setup.lines.map((line) => ({ price: line.price, quantity: line.quantity ?? undefined })),
              metadata: setup.subscriptionMetadata,
              description: setup.subscriptionDescription,
              trialEnd: setup.trialEnd,
            },
            AUTOMATIC,
          )
        : null;
    const paymentIntent =
      session.mode === 'payment' && session.amount_total
        ? startPayment(ctx, {
            amount: session.amount_total,
            currency: session.currency as string,
            customer,
            metadata: setup.paymentIntentMetadata,
            delayed: options.delayedPayment ?? false,
          })
        : null;
    Object.assign(session, {
      status: 'complete',
      payment_status: paymentStatus(session, paymentIntent),
      customer: customer.id,
      subscription: subscription?.id ?? null,
      payment_intent: paymentIntent?.id ?? null,
      url: null,
      customer_details: {
        address: null,
        business_name: null,
        email: customer.email,
        individual_name: null,
        name: customer.name ?? null,
        phone: null,
        tax_exempt: 'none',
        tax_ids: [],
      },
    });
    ctx.events.record('checkout.session.completed', session, AUTOMATIC);
    return { customer, subscription, paymentIntent };
  });
  return { session, ...result, events };
}

function paymentStatus(session: Stripe.Checkout.Session, paymentIntent: Stripe.PaymentIntent | null): Stripe.Checkout.Session.PaymentStatus {
  if (session.mode === 'setup' || session.amount_total === 0) return 'no_payment_required';
  return paymentIntent?.status === 'processing' ? 'unpaid' : 'paid';
}

function resolveCustomer(ctx: FakeStripeContext, session: Stripe.Checkout.Session, options: CompleteCheckoutOptions): Stripe.Customer {
  if (typeof session.customer === 'string') {
    const existing = ctx.store.customers.get(session.customer);
    if (!existing) throw resourceMissing('customer', session.customer, 'customer');
    return existing;
  }
  const email = options.email ?? session.customer_email ?? `customer-${ctx.store.customers.size + 1}@example.com`;
  const customer = ctx.store.customers.add(buildCustomer({ email, name: options.name ?? null, created: ctx.clock.now() }));
  ctx.events.record('customer.created', customer, AUTOMATIC);
  return customer;
}
