import type { UsageAllowance } from './usage-allowance.js';

/**
 * A subject's use of one metric in the current period, against its limit: what a usage meter shows.
 * `limit` and `remaining` are `Infinity` when unlimited (`null` once serialized to JSON).
 */
export interface UsageCheck {
  metric: string;
  used: number;
  limit: number;
  /** What may still be used: the period's allowance left, plus the credits. */
  remaining: number;
  /** Unspent credits of the metric (bought in credit packs), spent once the period's allowance is used up. */
  credits: number;
  periodStart: Date;
  /** When the count starts again from zero. */
  periodEnd: Date;
  /** `used` reached `usage.nearLimitRatio` of the limit (also true at and over it), and no credit is left. */
  nearLimit: boolean;
  /** Nothing remains: `used` reached the limit (or passed it, through `record()`) and no credit is left. */
  overLimit: boolean;
  /** Where the limit comes from (see `UsageAllowance.source`). */
  source: UsageAllowance['source'];
  plan: string | null;
  /** The granting subscription's quantity, by which a per-seat limit is multiplied. */
  seats: number | null;
}

export function usageCheck(allowance: UsageAllowance, used: number, nearLimitRatio: number, credits = 0): UsageCheck {
  const limit = Math.floor(allowance.limit); // whole units; Infinity stays Infinity
  return {
    metric: allowance.metric,
    used,
    limit,
    remaining: Math.max(0, limit - used) + credits,
    credits,
    periodStart: allowance.period.start,
    periodEnd: allowance.period.end,
    nearLimit: credits === 0 && used >= limit * nearLimitRatio,
    overLimit: credits === 0 && used >= limit,
    source: allowance.source,
    plan: allowance.plan,
    seats: allowance.seats,
  };
}
