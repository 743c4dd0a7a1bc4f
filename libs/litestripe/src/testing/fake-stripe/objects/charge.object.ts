import type Stripe from 'stripe';
import { stripeId } from '../ids.js';
import { listEnvelope } from '../list-page.js';
import { NULL_ADDRESS } from './wire.js';

export interface ChargeInput {
  paymentIntent: Stripe.PaymentIntent;
  customer: Stripe.Customer | null;
  created: number;
}

/** The successful card charge of a PaymentIntent. */
export function buildCharge(input: ChargeInput): Stripe.Charge {
  const { paymentIntent, customer } = input;
  return {
    id: stripeId('ch'),
    object: 'charge',
    amount: paymentIntent.amount,
    amount_captured: paymentIntent.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: { address: { ...NULL_ADDRESS }, email: customer?.email ?? null, name: customer?.name ?? null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'FAKE STRIPE',
    captured: true,
    created: input.created,
    currency: paymentIntent.currency,
    customer: customer?.id ?? null,
    description: paymentIntent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: { ...paymentIntent.metadata },
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: paymentIntent.id,
    payment_method: null,
    payment_method_details: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

const INLINE_REFUNDS = 10;

/** `refunds`, which current API versions show on a charge only when expanded: its newest 10. */
export function chargeRefunds(chargeId: string, refunds: Stripe.Refund[]): Stripe.ApiList<Stripe.Refund> {
  const newest = [...refunds].reverse();
  return listEnvelope(`/v1/charges/${chargeId}/refunds`, newest.slice(0, INLINE_REFUNDS), newest.length > INLINE_REFUNDS);
}
