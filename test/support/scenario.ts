import { buildStripeEvent, stripeId } from '@litestripe/nestjs/testing';
import { checkoutSessionObject, CheckoutState, invoiceObject, PayloadShape, subscriptionObject, SubscriptionState } from './stripe-objects';

/** One subscription's ids and event builders, so a test reads as the story it tells. */
export class SubscriptionScenario {
  readonly subscriptionId = stripeId('sub');
  readonly customerId = stripeId('cus');
  readonly checkoutSessionId = stripeId('cs');

  constructor(
    readonly shape: PayloadShape = 'current',
    readonly base: Partial<SubscriptionState> = {},
  ) {}

  subscription(type: 'created' | 'updated' | 'deleted' | 'paused' | 'resumed' | 'trial_will_end', state: Partial<SubscriptionState>, created: number) {
    const object = subscriptionObject({ id: this.subscriptionId, customer: this.customerId, status: 'active', ...this.base, ...state }, this.shape);
    return buildStripeEvent(`customer.subscription.${type}`, object, { created, apiVersion: this.apiVersion() });
  }

  checkout(state: Partial<CheckoutState>, created: number) {
    const object = checkoutSessionObject({ id: this.checkoutSessionId, subscription: this.subscriptionId, customer: this.customerId, ...state });
    return buildStripeEvent('checkout.session.completed', object, { created, apiVersion: this.apiVersion() });
  }

  invoice(type: 'invoice.paid' | 'invoice.payment_succeeded' | 'invoice.payment_failed', invoiceId: string, created: number) {
    const object = invoiceObject({ id: invoiceId, subscription: this.subscriptionId, customer: this.customerId }, this.shape);
    return buildStripeEvent(type, object, { created, apiVersion: this.apiVersion() });
  }

  private apiVersion() {
    return this.shape === 'current' ? '2026-10-28.endive' : '2020-08-27';
  }
}

export const T0 = 1_764_000_000;
