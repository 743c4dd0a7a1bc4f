import type { OneTimePurchase } from '../entities/one-time-purchase.entity.js';

/** What a purchase grants its account now, after its refunds and disputes. */
export interface EffectiveGrant {
  /** Null when the purchase names no account: nothing is granted to anyone. */
  accountRef: string | null;
  /** Lifetime plans in force. */
  lifetimePlans: string[];
  /** Credits granted net of what refunds take back, by metric. */
  credits: Record<string, number>;
  /** Credits taken back, by metric (kept on the row, so a later event only takes the difference). */
  creditsRevoked: Record<string, number>;
  lifetimeRevoked: boolean;
}

type PurchaseFacts = Pick<OneTimePurchase, 'accountRef' | 'paymentStatus' | 'lifetimePlans' | 'credits' | 'amount' | 'amountRefunded' | 'disputeLost'>;

/**
 * A purchase's grant from its facts alone, so that events in any order reach the same answer: paid
 * purchases grant; a full refund or a lost dispute takes everything back; a partial refund takes
 * credits back in proportion to the amount refunded (rounded down, in the buyer's favour) and a
 * lifetime plan only when `revokeLifetimeOnPartialRefund`.
 */
export function effectiveGrant(purchase: PurchaseFacts, revokeLifetimeOnPartialRefund: boolean): EffectiveGrant {
  const amount = purchase.amount ?? 0;
  const refunded = Math.max(0, purchase.amountRefunded);
  const fullyReversed = purchase.disputeLost || (amount > 0 && refunded >= amount);
  const creditsRevoked: Record<string, number> = {};
  const credits: Record<string, number> = {};
  for (const [metric, granted] of Object.entries(purchase.credits)) {
    creditsRevoked[metric] = fullyReversed ? granted : amount > 0 ? Math.floor((granted * refunded) / amount) : 0;
    credits[metric] = granted - creditsRevoked[metric];
  }
  const lifetimeRevoked = fullyReversed || (revokeLifetimeOnPartialRefund && refunded > 0);
  const grants = purchase.paymentStatus === 'paid' && purchase.accountRef !== null;
  return {
    accountRef: purchase.accountRef,
    lifetimePlans: grants && !lifetimeRevoked ? [...purchase.lifetimePlans] : [],
    credits: grants ? credits : {},
    creditsRevoked,
    lifetimeRevoked,
  };
}

/** Per metric, what the account's credit balance gains (positive) or loses (negative) from `before` to `after`. */
export function creditChanges(before: EffectiveGrant, after: EffectiveGrant): { accountRef: string; metric: string; delta: number }[] {
  const changes = new Map<string, { accountRef: string; metric: string; delta: number }>();
  const add = (grant: EffectiveGrant, sign: 1 | -1) => {
    if (grant.accountRef === null) return;
    for (const [metric, count] of Object.entries(grant.credits)) {
      const key = `${grant.accountRef}\n${metric}`;
      const change = changes.get(key) ?? { accountRef: grant.accountRef, metric, delta: 0 };
      change.delta += sign * count;
      changes.set(key, change);
    }
  };
  add(after, 1);
  add(before, -1);
  return [...changes.values()].filter((change) => change.delta !== 0);
}
