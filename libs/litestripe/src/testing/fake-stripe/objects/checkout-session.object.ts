import type Stripe from 'stripe';
import { checkoutSessionId, stripeId } from '../ids.js';
import { listEnvelope } from '../list-page.js';

export interface CheckoutLine {
  price: Stripe.Price;
  /** null for a metered price: its usage is billed at the end of each period, nothing at checkout. */
  quantity: number | null;
}

export interface CheckoutSessionInput {
  mode: Stripe.Checkout.Session.Mode;
  lines: CheckoutLine[];
  /** Trials make the first payment zero. */
  trial: boolean;
  customer: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  successUrl: string | null;
  cancelUrl: string | null;
  allowPromotionCodes: boolean | null;
  metadata: Record<string, string>;
  locale: Stripe.Checkout.Session.Locale | null;
  created: number;
  expiresAt: number;
  baseUrl: string;
}

export function buildCheckoutSession(input: CheckoutSessionInput): Stripe.Checkout.Session {
  const id = checkoutSessionId();
  const amount = input.trial ? 0 : input.lines.reduce((sum, line) => sum + lineAmount(line), 0);
  const hasLines = input.lines.length > 0;
  return {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: input.allowPromotionCodes,
    allowed_payment_method_types: null,
    amount_subtotal: hasLines ? amount : null,
    amount_total: hasLines ? amount : null,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: input.cancelUrl,
    client_reference_id: input.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: input.created,
    currency: hasLines ? input.lines[0].price.currency : null,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: input.customer,
    customer_account: null,
    customer_creation: input.mode === 'payment' && input.customer === null ? 'if_required' : null,
    customer_details: null,
    customer_email: input.customerEmail,
    discounts: [],
    expires_at: input.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: input.locale,
    managed_payments: null,
    metadata: input.metadata,
    mode: input.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: input.mode === 'subscription' ? 'always' : null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: input.successUrl,
    total_details: hasLines ? { amount_discount: 0, amount_shipping: 0, amount_tax: 0 } : null,
    ui_mode: 'hosted_page',
    url: `${input.baseUrl}/checkout/${id}`,
    wallet_options: null,
  };
}

/** The `line_items` list Stripe returns when expanded or fetched from `/line_items`. */
export function checkoutLineItems(sessionId: string, lines: CheckoutLine[], lineIds: string[]): Stripe.ApiList<Stripe.LineItem> {
  const data = lines.map((line, index): Stripe.LineItem => {
    const amount = lineAmount(line);
    return {
      id: lineIds[index],
      object: 'item',
      adjustable_quantity: null,
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: line.price.currency,
      description: line.price.nickname,
      metadata: {},
      price: structuredClone(line.price),
      quantity: line.quantity,
    };
  });
  return listEnvelope(`/v1/checkout/sessions/${sessionId}/line_items`, data);
}

/** What a line costs at checkout; metered lines cost nothing up front. */
function lineAmount(line: CheckoutLine): number {
  return (line.price.unit_amount ?? 0) * (line.quantity ?? 0);
}

export function lineItemIds(count: number): string[] {
  return Array.from({ length: count }, () => stripeId('li'));
}
