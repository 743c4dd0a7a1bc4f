/** A subscription payload without what every subscription has (its id, customer, status): not a subscription. */
export class UnreadablePayloadError extends Error {
  override readonly name = 'UnreadablePayloadError';
}
