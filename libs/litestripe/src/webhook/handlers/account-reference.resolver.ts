import { Inject, Injectable } from '@nestjs/common';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options';
import { OrphanReason } from '../../entities/orphaned-payment.entity';
import { ClientReferenceContext } from '../../interfaces/litestripe-options.interface';
import { isWellFormedAccountReference } from '../account-reference';
import { SubscriptionSnapshot } from '../subscription-snapshot';

export type ResolvedReference = { accountRef: string; problem?: undefined } | { accountRef: null; problem: OrphanReason };

/** Turns a reference found in a payload into an account to link, or the reason it cannot be one. */
@Injectable()
export class AccountReferenceResolver {
  constructor(@Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions) {}

  async resolve(candidate: unknown, context: ClientReferenceContext): Promise<ResolvedReference> {
    if (candidate === null || candidate === undefined || candidate === '') return { accountRef: null, problem: 'missing_reference' };
    if (!isWellFormedAccountReference(candidate)) return { accountRef: null, problem: 'invalid_reference' };
    const validate = this.options.validateClientReference;
    if (validate && !(await validate(candidate, context))) return { accountRef: null, problem: 'rejected_reference' };
    return { accountRef: candidate };
  }

  /** The account named in a subscription's metadata (`accountReferenceMetadataKey`), if usable; null otherwise. */
  async fromSubscriptionMetadata(snapshot: SubscriptionSnapshot): Promise<string | null> {
    const candidate = snapshot.metadata[this.options.accountReferenceMetadataKey];
    if (!candidate) return null;
    const context = { source: 'subscription_metadata', checkoutSessionId: null, subscriptionId: snapshot.id, customerId: snapshot.customerId, livemode: snapshot.livemode } as const;
    return (await this.resolve(candidate, context)).accountRef;
  }
}
