/**
 * A batched apply met a same-second tie that `refetch: 'on-conflict'` settles by asking Stripe,
 * which a batch transaction must never wait on: the applier asks Stripe first and applies the
 * event in its next batch.
 */
export class RefetchBeforeApplyError extends Error {
  constructor(readonly subscriptionId: string) {
    super(`Subscription ${subscriptionId}: a same-second tie to settle with Stripe before applying`);
    this.name = 'RefetchBeforeApplyError';
  }
}
