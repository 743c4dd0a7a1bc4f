import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { SECONDS_PER_DAY } from '../billing/billing-period.js';
import type { FormParams } from '../form-body.parser.js';
import { isFormParams, optionalEnum, optionalInteger, optionalObject, optionalString } from '../request-params.js';

export const PRORATION_BEHAVIORS = ['always_invoice', 'create_prorations', 'none'] as const;
const ANCHORS = ['now', 'unchanged'] as const;
const CANCEL_AT_KEYWORDS = ['max_billed_until', 'max_period_end', 'min_period_end'] as const;
const PAUSE_BEHAVIORS = ['keep_as_draft', 'mark_uncollectible', 'void'] as const;
const FEEDBACK = ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused'] as const;

export type CancellationFeedback = Pick<Stripe.Subscription.CancellationDetails, 'comment' | 'feedback'>;

/** `billing_cycle_anchor[type]` (current API) or the older plain `billing_cycle_anchor` string. */
export function readAnchor(params: FormParams): 'now' | 'unchanged' | undefined {
  const raw = params.billing_cycle_anchor;
  if (raw === undefined || raw === '') return undefined;
  const holder = isFormParams(raw) ? raw : { type: raw };
  return optionalEnum(holder, 'type', ANCHORS, 'billing_cycle_anchor');
}

/** `cancel_at` as a timestamp, a period keyword (`min_period_end`…) meaning the current period's end, or '' to unset. */
export function readCancelAt(params: FormParams): number | 'period_end' | null | undefined {
  const raw = optionalString(params, 'cancel_at');
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  if ((CANCEL_AT_KEYWORDS as readonly string[]).includes(raw)) return 'period_end';
  return optionalInteger(params, 'cancel_at');
}

/** `trial_end` (unix seconds or `now`) or `trial_period_days`, as an absolute end; null for no trial. */
export function readTrial(params: FormParams, now: number): number | null {
  const days = optionalInteger(params, 'trial_period_days');
  const raw = optionalString(params, 'trial_end');
  if (days !== undefined && raw) throw invalidRequest('You may only specify one of these parameters: trial_end, trial_period_days.', 'trial_end');
  if (days !== undefined) return days > 0 ? now + days * SECONDS_PER_DAY : null;
  if (!raw) return null;
  if (raw === 'now') return now;
  const end = optionalInteger(params, 'trial_end') as number;
  if (end <= now) throw invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
  return end;
}

export function readPauseCollection(params: FormParams): Stripe.Subscription.PauseCollection | null | undefined {
  const pause = optionalObject(params, 'pause_collection');
  if (pause === undefined || pause === null) return pause;
  const behavior = optionalEnum(pause, 'behavior', PAUSE_BEHAVIORS, 'pause_collection');
  if (!behavior) throw invalidRequest('Missing required param: pause_collection[behavior].', 'pause_collection[behavior]');
  return { behavior, resumes_at: optionalInteger(pause, 'resumes_at', 'pause_collection') ?? null };
}

export function readCancellationDetails(params: FormParams): Partial<CancellationFeedback> | undefined {
  const details = optionalObject(params, 'cancellation_details');
  if (!details) return undefined;
  const result: Partial<CancellationFeedback> = {};
  const comment = optionalString(details, 'comment', 'cancellation_details');
  if (comment !== undefined) result.comment = comment || null;
  const feedback = optionalEnum(details, 'feedback', FEEDBACK, 'cancellation_details');
  if (feedback !== undefined) result.feedback = feedback;
  return result;
}
