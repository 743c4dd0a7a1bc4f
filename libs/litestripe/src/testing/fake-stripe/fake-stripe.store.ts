import type Stripe from 'stripe';
import { Collection } from './collection.js';
import { MeterEventLog } from './meter-event-log.js';
import type { CheckoutLine } from './objects/checkout-session.object.js';

/** What a checkout session needs at completion that Stripe does not show on the session itself. */
export interface CheckoutSetup {
  lines: CheckoutLine[];
  lineIds: string[];
  subscriptionMetadata: Record<string, string>;
  subscriptionDescription: string | null;
  trialEnd: number | null;
  /** `payment_intent_data[metadata]`: the metadata of a payment-mode session's PaymentIntent. */
  paymentIntentMetadata: Record<string, string>;
}

/** Every object the fake holds, by resource type, plus the hidden state that drives simulated billing. */
export class FakeStripeStore {
  readonly products = new Collection<Stripe.Product>('product');
  readonly prices = new Collection<Stripe.Price>('price');
  readonly meters = new Collection<Stripe.Billing.Meter>('billing.meter');
  readonly customers = new Collection<Stripe.Customer>('customer');
  readonly subscriptions = new Collection<Stripe.Subscription>('subscription');
  readonly invoices = new Collection<Stripe.Invoice>('invoice');
  readonly checkoutSessions = new Collection<Stripe.Checkout.Session>('checkout.session');
  readonly billingPortalSessions = new Collection<Stripe.BillingPortal.Session>('billing_portal.session');
  readonly paymentIntents = new Collection<Stripe.PaymentIntent>('payment_intent');
  readonly charges = new Collection<Stripe.Charge>('charge');
  readonly refunds = new Collection<Stripe.Refund>('refund');
  readonly disputes = new Collection<Stripe.Dispute>('dispute');
  readonly features = new Collection<Stripe.Entitlements.Feature>('entitlements.feature');
  /** The features attached to each product, by product id. */
  readonly productFeatures = new Map<string, Collection<Stripe.ProductFeature>>();
  readonly events = new Collection<Stripe.Event>('event');
  readonly meterEvents = new MeterEventLog();

  readonly deletedCustomers = new Set<string>();
  readonly checkoutSetups = new Map<string, CheckoutSetup>();
  readonly trialWillEndSent = new Set<string>();
  readonly failingCustomers = new Set<string>();
  /** `ent_test_...` ids by `customer feature`: a customer keeps the same active entitlement id for a feature. */
  readonly activeEntitlementIds = new Map<string, string>();

  reset(options: { keepCatalog?: boolean } = {}): void {
    if (!options.keepCatalog) {
      this.products.clear();
      this.prices.clear();
      this.meters.clear();
      this.features.clear();
      this.productFeatures.clear();
    }
    const state = [
      this.customers,
      this.subscriptions,
      this.invoices,
      this.checkoutSessions,
      this.billingPortalSessions,
      this.paymentIntents,
      this.charges,
      this.refunds,
      this.disputes,
      this.events,
    ];
    for (const collection of state) collection.clear();
    this.meterEvents.clear();
    this.deletedCustomers.clear();
    this.checkoutSetups.clear();
    this.trialWillEndSent.clear();
    this.failingCustomers.clear();
    this.activeEntitlementIds.clear();
  }
}
