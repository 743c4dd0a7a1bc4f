import { HttpException } from '@nestjs/common';

/** What the body reports of the account's entitlement (an `Entitlement` fits). */
export interface DeniedEntitlement {
  entitled: boolean;
  reason: string;
  status: string | null;
  plan: string | null;
  plans: string[];
  features: string[];
}

/** What the guard's 402/403 body says is missing. */
export type MissingEntitlement = { subscription?: true; plans?: string[]; features?: string[] };

/** Reasons a payment action (not a new subscription) fixes: the body links to billing. */
const BILLING_REASONS: ReadonlySet<string> = new Set(['past_due', 'unpaid', 'collection_paused', 'paused', 'incomplete']);

const EXPLANATIONS: Record<string, string> = {
  no_subscription: 'This requires a subscription.',
  pending: 'The subscription is being set up; try again in a moment.',
  incomplete: 'The first payment of the subscription has not gone through.',
  incomplete_expired: 'The subscription was never paid and has expired; subscribe again.',
  past_due: 'The last payment failed; update the payment method to continue.',
  unpaid: 'Payments failed and the subscription is unpaid; update the payment method to continue.',
  paused: 'The trial ended without a payment method; add one to resume the subscription.',
  collection_paused: 'Payment collection is paused; resume it to continue.',
  canceled: 'The subscription has ended; subscribe again to continue.',
  ended: 'The subscription has ended; subscribe again to continue.',
  stale: 'The subscription could not be confirmed with Stripe; try again shortly.',
};

/** 403 (or 402) with a JSON body saying what is missing and where to get it. */
export class SubscriptionRequiredException extends HttpException {
  constructor(status: 402 | 403, entitlement: DeniedEntitlement, missing: MissingEntitlement, links: { subscribeUrl?: string; manageBillingUrl?: string }) {
    const billing = !entitlement.entitled && BILLING_REASONS.has(entitlement.reason);
    const body = {
      statusCode: status,
      error: status === 402 ? 'Payment Required' : 'Forbidden',
      message: messageFor(entitlement, missing),
      reason: missing.plans ? 'plan_required' : missing.features ? 'feature_required' : 'subscription_required',
      required: { plans: missing.plans ?? [], features: missing.features ?? [] },
      entitlement: { entitled: entitlement.entitled, reason: entitlement.reason, status: entitlement.status, plan: entitlement.plan, plans: entitlement.plans, features: entitlement.features },
      ...(billing && links.manageBillingUrl ? { manageBillingUrl: links.manageBillingUrl } : {}),
      ...(!billing && links.subscribeUrl ? { subscribeUrl: links.subscribeUrl } : {}),
    };
    super(body, status);
  }
}

function messageFor(entitlement: DeniedEntitlement, missing: MissingEntitlement): string {
  if (missing.plans) return `This requires the ${missing.plans.join(' or ')} plan.`;
  if (missing.features) return `This requires a plan with ${missing.features.join(' and ')}.`;
  return EXPLANATIONS[entitlement.reason] ?? 'This requires an active subscription.';
}
