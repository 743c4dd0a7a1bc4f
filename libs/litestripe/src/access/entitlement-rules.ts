import type { AccessPolicy } from '../config/entitlement-options.js';
import type { StripeSubscription, SubscriptionStatus } from '../entities/stripe-subscription.entity.js';

/**
 * Why a subscription does or does not entitle its account at a given time.
 *
 * Entitled: `active`, `trialing`, `canceling` (a cancellation is scheduled and not yet due; Pay's
 * and Cashier's "grace period"), `past_due_grace` (payment failed, inside `pastDueGraceSeconds`).
 *
 * Not entitled: `pending` (only checkout facts arrived, no status yet), `incomplete`,
 * `incomplete_expired`, `unpaid`, `paused`, `canceled` (the status says so), `ended` (`ended_at`
 * or the scheduled cancellation has passed, even if the status has not caught up), `past_due`
 * (no grace, or grace over), `collection_paused` (a pause of payment collection that denies: see
 * `pauseEndsAccessAt`), `stale` (an `active`/`trialing` row whose period or trial
 * ended over `staleAfterSeconds` ago: a renewal webhook was missed), `unlisted_price` (with plans
 * configured, a subscription whose price no plan lists, unless `allowUnlistedPrices`; decided by
 * `accountSubscriptions`, which knows the plans).
 */
export type AccessReason =
  | 'active'
  | 'trialing'
  | 'canceling'
  | 'past_due_grace'
  | 'pending'
  | 'incomplete'
  | 'incomplete_expired'
  | 'unpaid'
  | 'paused'
  | 'canceled'
  | 'ended'
  | 'past_due'
  | 'collection_paused'
  | 'stale'
  | 'unlisted_price';

export type { AccessPolicy };

export const ENTITLED_REASONS: readonly AccessReason[] = ['active', 'trialing', 'canceling', 'past_due_grace'];

/** What the rules read of a subscription row. */
export type AccessFacts = Pick<
  StripeSubscription,
  | 'status'
  | 'currentPeriodStart'
  | 'currentPeriodEnd'
  | 'trialEnd'
  | 'cancelAtPeriodEnd'
  | 'cancelAt'
  | 'endedAt'
  | 'pauseBehavior'
  | 'pauseResumesAt'
  | 'latestPaymentStatus'
  | 'latestPaymentAt'
>;

export interface AccessDecision {
  entitled: boolean;
  reason: AccessReason;
  /**
   * While entitled: when access ends unless something changes (the scheduled cancellation, the end
   * of the grace period, or the end of the trial or period, when a renewal is due). Null otherwise.
   */
  until: Date | null;
  /** When a scheduled cancellation (`cancel_at_period_end` or `cancel_at`) takes effect. */
  endsAt: Date | null;
  /** For `past_due` rows under a grace policy: when the grace period ends. */
  graceEndsAt: Date | null;
}

const DENYING_STATUSES: ReadonlySet<SubscriptionStatus> = new Set(['canceled', 'incomplete', 'incomplete_expired', 'unpaid', 'paused']);

/**
 * The entitlement rules, in one pure function: whether `row` entitles its account at `now`, and why.
 * Checked in this order (the first that applies decides):
 * 1. no status yet: `pending`; a denying status: that status;
 * 2. `ended_at`, or the scheduled cancellation, at or before now: `ended`;
 * 3. a pause of payment collection that takes access away by now (`pauseEndsAccessAt`): `collection_paused`;
 * 4. `past_due`: `past_due_grace` until period start + grace, then `past_due`;
 * 5. `active`/`trialing`: `stale` once the trial (trialing) or period ended over `staleAfterSeconds`
 *    ago; else `canceling` when a cancellation is scheduled, else the status.
 */
export function decideAccess(row: AccessFacts, now: Date, policy: AccessPolicy): AccessDecision {
  const at = now.getTime();
  const endsAt = scheduledEnd(row);
  const graceEndsAt =
    row.status === 'past_due' && policy.pastDueGraceSeconds > 0 && row.currentPeriodStart
      ? new Date(row.currentPeriodStart.getTime() + policy.pastDueGraceSeconds * 1000)
      : null;
  const deny = (reason: AccessReason): AccessDecision => ({ entitled: false, reason, until: null, endsAt, graceEndsAt });
  const allow = (reason: AccessReason, until: Date | null): AccessDecision => ({ entitled: true, reason, until: earliest(until, endsAt), endsAt, graceEndsAt });

  const status = row.status;
  if (status === null) return deny('pending');
  if (DENYING_STATUSES.has(status)) return deny(status as AccessReason);
  if (status !== 'active' && status !== 'trialing' && status !== 'past_due') return deny('pending');
  if (row.endedAt && row.endedAt.getTime() <= at) return deny('ended');
  if (endsAt && endsAt.getTime() <= at) return deny('ended');
  const pauseEndsAccess = pauseEndsAccessAt(row, now, policy);
  if (pauseEndsAccess && pauseEndsAccess.getTime() <= at) return deny('collection_paused');

  if (status === 'past_due') {
    return graceEndsAt && at < graceEndsAt.getTime() ? allow('past_due_grace', graceEndsAt) : deny('past_due');
  }
  const coveredUntil = status === 'trialing' ? (row.trialEnd ?? row.currentPeriodEnd) : row.currentPeriodEnd;
  if (coveredUntil && at >= coveredUntil.getTime() + policy.staleAfterSeconds * 1000) return deny('stale');
  return allow(endsAt ? 'canceling' : status, earliest(coveredUntil, pauseEndsAccess));
}

/**
 * The first instant after `now` (ms) at which `decideAccess(row, ·, policy)` may answer otherwise;
 * Infinity when only a change of the row can. The rules compare the time with these instants only
 * (a period, trial, grace or staleness end, a scheduled or actual end, a pause's resumption), so
 * the decision made at `now` holds, field for field, until then. Keep the two functions together:
 * a new time rule needs its instant here (entitlement-rules.spec.ts checks it on random rows).
 */
export function nextDecisionChange(row: AccessFacts, now: Date, policy: AccessPolicy): number {
  const at = now.getTime();
  const stale = policy.staleAfterSeconds * 1000;
  const instants = [
    row.endedAt?.getTime(),
    row.cancelAt?.getTime(),
    row.currentPeriodEnd?.getTime(),
    row.pauseResumesAt?.getTime(),
    row.currentPeriodStart ? row.currentPeriodStart.getTime() + policy.pastDueGraceSeconds * 1000 : undefined,
    row.trialEnd ? row.trialEnd.getTime() + stale : undefined,
    row.currentPeriodEnd ? row.currentPeriodEnd.getTime() + stale : undefined,
  ];
  let next = Infinity;
  for (const instant of instants) if (instant !== undefined && instant > at && instant < next) next = instant;
  return next;
}

/**
 * When a pause of payment collection takes access away (null: it does not). Stripe's guide keeps
 * access while collection is paused: `keep_as_draft` and `mark_uncollectible` entitle, `void` until
 * the end of the period already paid. A `resumes_at` in the past is no pause (Stripe's update that
 * clears it may still be on its way). `unknown` (paused before the behaviour was stored) denies at
 * once, as every pause did then; `denyPausedCollection` makes every pause deny at once.
 */
function pauseEndsAccessAt(row: AccessFacts, now: Date, policy: Pick<AccessPolicy, 'denyPausedCollection'>): Date | null {
  if (row.pauseBehavior === null || (row.pauseResumesAt && row.pauseResumesAt.getTime() <= now.getTime())) return null;
  if (policy.denyPausedCollection) return now;
  if (row.pauseBehavior === 'keep_as_draft' || row.pauseBehavior === 'mark_uncollectible') return null;
  if (row.pauseBehavior !== 'void') return now;
  return paidPeriodEnd(row) ?? now;
}

/**
 * The end of the current period when it is paid: a payment succeeded since it started, or it is
 * a trial. Stripe voids the invoices of a `void` pause, so a period that began during the pause
 * has no payment.
 */
function paidPeriodEnd(row: AccessFacts): Date | null {
  const start = row.currentPeriodStart;
  if (!start || !row.currentPeriodEnd) return null;
  const paidSinceStart = row.latestPaymentStatus === 'succeeded' && row.latestPaymentAt !== null && row.latestPaymentAt.getTime() >= start.getTime();
  return paidSinceStart || row.status === 'trialing' ? row.currentPeriodEnd : null;
}

/** When a scheduled cancellation takes effect: `cancel_at`, or the period end with `cancel_at_period_end`. */
export function scheduledEnd(row: Pick<AccessFacts, 'cancelAt' | 'cancelAtPeriodEnd' | 'currentPeriodEnd'>): Date | null {
  return earliest(row.cancelAt, row.cancelAtPeriodEnd ? row.currentPeriodEnd : null);
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}
