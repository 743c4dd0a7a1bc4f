import type Stripe from 'stripe';
import { invalidRequest, resourceMissing } from '../api-error.js';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { buildCustomer } from '../objects/customer.object.js';
import { createSubscription } from './subscription-create.js';

export interface CompleteCheckoutOptions {
  /** The email the customer types in; defaults to `customer_email` or a generated address. */
  email?: string;
  name?: string;
}

export interface CompletedCheckout {
  session: Stripe.Checkout.Session;
  customer: Stripe.Customer;
  subscription: Stripe.Subscription | null;
  /** Everything Stripe emitted for this payment, in order; ready for `fake.deliver`. */
  events: Stripe.Event[];
}

/** What Stripe does when the customer pays on the hosted page. */
export function completeCheckoutSession(ctx: FakeStripeContext, sessionId: string, options: CompleteCheckoutOptions = {}): CompletedCheckout {
  const session = ctx.store.checkoutSessions.get(sessionId);
  const setup = ctx.store.checkoutSetups.get(sessionId);
  if (!session || !setup) throw resourceMissing('checkout.session', sessionId);
  if (session.status !== 'open') throw invalidRequest(`This Checkout Session is ${session.status} and can no longer be completed.`);
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
    Object.assign(session, {
      status: 'complete',
      payment_status: session.mode === 'setup' || session.amount_total === 0 ? 'no_payment_required' : 'paid',
      customer: customer.id,
      subscription: subscription?.id ?? null,
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
    return { customer, subscription };
  });
  return { session, ...result, events };
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
