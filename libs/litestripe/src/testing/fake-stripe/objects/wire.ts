import type Stripe from 'stripe';

export type DecimalString = NonNullable<Stripe.Price['unit_amount_decimal']>;

/** The wire carries decimals as strings; stripe-node turns them into its Decimal type when parsing. */
export function decimalString(value: number): DecimalString {
  return String(value) as unknown as DecimalString;
}

export const NULL_ADDRESS: Stripe.Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
