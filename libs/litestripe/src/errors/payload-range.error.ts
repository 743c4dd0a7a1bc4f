/**
 * A signed payload carries a number no real Stripe object has (a timestamp past year 9999, an
 * amount beyond a safe integer, a non-finite value): the delivery is answered 400 and writes nothing.
 */
export class PayloadRangeError extends Error {
  override readonly name = 'PayloadRangeError';
}
