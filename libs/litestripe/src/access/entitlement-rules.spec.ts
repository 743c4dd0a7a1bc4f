import type { SubscriptionStatus } from '../entities/stripe-subscription.entity.js';
import { AccessFacts, AccessPolicy, AccessReason, decideAccess, ENTITLED_REASONS, nextDecisionChange } from './entitlement-rules.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);

/** Grace of three days, stale after one hour, pauses as Stripe advises. */
const POLICY: AccessPolicy = { pastDueGraceSeconds: 3 * 86_400, denyPausedCollection: false, staleAfterSeconds: 3600 };

/** Where "now" falls in the row's trial, period and (for past_due) grace. */
const POSITIONS = {
  before_trial: { trialEnd: at(8 * DAY), periodStart: at(DAY), periodEnd: at(8 * DAY) },
  in_trial: { trialEnd: at(5 * DAY), periodStart: at(-5 * DAY), periodEnd: at(5 * DAY) },
  trial_just_ended: { trialEnd: at(-10 * MINUTE), periodStart: at(-14 * DAY), periodEnd: at(-10 * MINUTE) },
  trial_long_ended: { trialEnd: at(-2 * DAY), periodStart: at(-16 * DAY), periodEnd: at(-2 * DAY) },
  before_period: { trialEnd: null, periodStart: at(DAY), periodEnd: at(31 * DAY) },
  in_period: { trialEnd: null, periodStart: at(-10 * DAY), periodEnd: at(20 * DAY) },
  period_just_ended: { trialEnd: null, periodStart: at(-30 * DAY - 10 * MINUTE), periodEnd: at(-10 * MINUTE) },
  period_long_ended: { trialEnd: null, periodStart: at(-32 * DAY), periodEnd: at(-2 * DAY) },
  in_grace: { trialEnd: null, periodStart: at(-1 * DAY), periodEnd: at(29 * DAY) },
  grace_over: { trialEnd: null, periodStart: at(-5 * DAY), periodEnd: at(25 * DAY) },
} satisfies Record<string, { trialEnd: Date | null; periodStart: Date; periodEnd: Date }>;
type Position = keyof typeof POSITIONS;

/**
 * The documented table: per status and time position, the reason without and with a cancellation
 * scheduled at period end. Entitled reasons are `active`, `trialing`, `canceling`, `past_due_grace`.
 */
const TABLE: Record<SubscriptionStatus | 'null', Record<Position, [AccessReason, AccessReason]>> = {
  active: {
    before_trial: ['active', 'canceling'],
    in_trial: ['active', 'canceling'],
    trial_just_ended: ['active', 'ended'],
    trial_long_ended: ['stale', 'ended'],
    before_period: ['active', 'canceling'],
    in_period: ['active', 'canceling'],
    period_just_ended: ['active', 'ended'],
    period_long_ended: ['stale', 'ended'],
    in_grace: ['active', 'canceling'],
    grace_over: ['active', 'canceling'],
  },
  trialing: {
    before_trial: ['trialing', 'canceling'],
    in_trial: ['trialing', 'canceling'],
    trial_just_ended: ['trialing', 'ended'],
    trial_long_ended: ['stale', 'ended'],
    before_period: ['trialing', 'canceling'],
    in_period: ['trialing', 'canceling'],
    period_just_ended: ['trialing', 'ended'],
    period_long_ended: ['stale', 'ended'],
    in_grace: ['trialing', 'canceling'],
    grace_over: ['trialing', 'canceling'],
  },
  past_due: {
    // The grace is counted from the period start: a period that has not started has not used any.
    before_trial: ['past_due_grace', 'past_due_grace'],
    in_trial: ['past_due', 'past_due'],
    trial_just_ended: ['past_due', 'ended'],
    trial_long_ended: ['past_due', 'ended'],
    before_period: ['past_due_grace', 'past_due_grace'],
    in_period: ['past_due', 'past_due'],
    period_just_ended: ['past_due', 'ended'],
    period_long_ended: ['past_due', 'ended'],
    in_grace: ['past_due_grace', 'past_due_grace'],
    grace_over: ['past_due', 'past_due'],
  },
  incomplete: everywhere('incomplete'),
  incomplete_expired: everywhere('incomplete_expired'),
  unpaid: everywhere('unpaid'),
  paused: everywhere('paused'),
  canceled: everywhere('canceled'),
  null: everywhere('pending'),
};

function everywhere(reason: AccessReason): Record<Position, [AccessReason, AccessReason]> {
  return Object.fromEntries(Object.keys(POSITIONS).map((position) => [position, [reason, reason]])) as Record<Position, [AccessReason, AccessReason]>;
}

function row(status: SubscriptionStatus | null, position: Position, cancelAtPeriodEnd: boolean, extra: Partial<AccessFacts> = {}): AccessFacts {
  const { trialEnd, periodStart, periodEnd } = POSITIONS[position];
  return {
    status,
    trialEnd,
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
    cancelAtPeriodEnd,
    cancelAt: cancelAtPeriodEnd ? periodEnd : null, // as Stripe sets it since 2025
    endedAt: status === 'canceled' || status === 'incomplete_expired' ? at(-DAY) : null,
    pauseBehavior: null,
    pauseResumesAt: null,
    latestPaymentStatus: null,
    latestPaymentAt: null,
    ...extra,
  };
}

const CASES = Object.entries(TABLE).flatMap(([status, positions]) =>
  Object.entries(positions).flatMap(([position, [plain, canceling]]) => [
    [status, false, position, plain] as const,
    [status, true, position, canceling] as const,
  ]),
);

describe('decideAccess: status × cancel at period end × time position', () => {
  it('covers every status, both cancel flags and every position', () => {
    expect(CASES).toHaveLength(9 * 2 * Object.keys(POSITIONS).length);
  });

  it.each(CASES)('%s, cancel_at_period_end %s, %s: %s', (status, cancel, position, expected) => {
    const decision = decideAccess(row(status === 'null' ? null : (status as SubscriptionStatus), position as Position, cancel), NOW, POLICY);
    expect(decision.reason).toBe(expected);
    expect(decision.entitled).toBe(ENTITLED_REASONS.includes(expected));
    if (!decision.entitled) expect(decision.until).toBeNull();
  });
});

describe('decideAccess: until, grace and policy', () => {
  it('an active row is covered until its period end, a trial until the trial end', () => {
    expect(decideAccess(row('active', 'in_period', false), NOW, POLICY).until).toEqual(POSITIONS.in_period.periodEnd);
    expect(decideAccess(row('trialing', 'in_trial', false), NOW, POLICY).until).toEqual(POSITIONS.in_trial.trialEnd);
  });

  it('a scheduled cancellation entitles until it takes effect, and says when', () => {
    const decision = decideAccess(row('active', 'in_period', true), NOW, POLICY);
    expect(decision).toMatchObject({ entitled: true, reason: 'canceling', until: POSITIONS.in_period.periodEnd, endsAt: POSITIONS.in_period.periodEnd });
  });

  it('cancel_at on a date inside the period ends access on that date, not at period end', () => {
    const cancelAt = at(2 * DAY);
    expect(decideAccess(row('active', 'in_period', false, { cancelAt }), NOW, POLICY)).toMatchObject({ reason: 'canceling', until: cancelAt });
    expect(decideAccess(row('active', 'in_period', false, { cancelAt }), at(2 * DAY), POLICY).reason).toBe('ended');
  });

  it('past_due entitles from the start of the period for the grace, then stops on the second', () => {
    const facts = row('past_due', 'in_grace', false);
    const graceEnd = new Date(facts.currentPeriodStart!.getTime() + 3 * DAY);
    expect(decideAccess(facts, NOW, POLICY)).toMatchObject({ entitled: true, reason: 'past_due_grace', until: graceEnd, graceEndsAt: graceEnd });
    expect(decideAccess(facts, new Date(graceEnd.getTime() - 1), POLICY).entitled).toBe(true);
    expect(decideAccess(facts, graceEnd, POLICY)).toMatchObject({ entitled: false, reason: 'past_due', graceEndsAt: graceEnd });
  });

  it('past_due never entitles with the default grace of 0', () => {
    expect(decideAccess(row('past_due', 'in_grace', false), NOW, { ...POLICY, pastDueGraceSeconds: 0 })).toMatchObject({ entitled: false, reason: 'past_due', graceEndsAt: null });
  });

  it('a keep_as_draft or mark_uncollectible pause keeps access (until is unchanged); denyPausedCollection takes it away', () => {
    for (const pauseBehavior of ['keep_as_draft', 'mark_uncollectible'] as const) {
      const paused = row('active', 'in_period', false, { pauseBehavior });
      expect(decideAccess(paused, NOW, POLICY)).toMatchObject({ entitled: true, reason: 'active', until: POSITIONS.in_period.periodEnd });
      expect(decideAccess(paused, NOW, { ...POLICY, denyPausedCollection: true })).toMatchObject({ entitled: false, reason: 'collection_paused', until: null });
    }
  });

  it('a void pause keeps access until the end of the paid period, then takes it away on the second', () => {
    const { periodStart, periodEnd } = POSITIONS.in_period;
    const paid = row('active', 'in_period', false, { pauseBehavior: 'void', latestPaymentStatus: 'succeeded', latestPaymentAt: periodStart });
    expect(decideAccess(paid, NOW, POLICY)).toMatchObject({ entitled: true, reason: 'active', until: periodEnd });
    expect(decideAccess(paid, new Date(periodEnd.getTime() - 1), POLICY).entitled).toBe(true);
    expect(decideAccess(paid, periodEnd, POLICY)).toMatchObject({ entitled: false, reason: 'collection_paused' });
  });

  it('a void pause over a period no payment covers takes access away at once', () => {
    const { periodStart } = POSITIONS.in_period;
    const before = new Date(periodStart.getTime() - 1);
    expect(decideAccess(row('active', 'in_period', false, { pauseBehavior: 'void' }), NOW, POLICY).reason).toBe('collection_paused');
    expect(decideAccess(row('active', 'in_period', false, { pauseBehavior: 'void', latestPaymentStatus: 'succeeded', latestPaymentAt: before }), NOW, POLICY).reason).toBe('collection_paused');
    expect(decideAccess(row('active', 'in_period', false, { pauseBehavior: 'void', latestPaymentStatus: 'failed', latestPaymentAt: periodStart }), NOW, POLICY).reason).toBe('collection_paused');
  });

  it('a void pause during a trial keeps access until the trial ends', () => {
    expect(decideAccess(row('trialing', 'in_trial', false, { pauseBehavior: 'void' }), NOW, POLICY)).toMatchObject({ entitled: true, reason: 'trialing', until: POSITIONS.in_trial.trialEnd });
  });

  it('a pause whose resumes_at has passed is no pause; one still ahead is', () => {
    const unknown = row('active', 'in_period', false, { pauseBehavior: 'unknown', pauseResumesAt: at(-MINUTE) });
    expect(decideAccess(unknown, NOW, { ...POLICY, denyPausedCollection: true }).reason).toBe('active');
    expect(decideAccess({ ...unknown, pauseResumesAt: at(MINUTE) }, NOW, POLICY).reason).toBe('collection_paused');
  });

  it('an unknown pause (stored before its behaviour was) denies, as every pause did then', () => {
    expect(decideAccess(row('active', 'in_period', false, { pauseBehavior: 'unknown' }), NOW, POLICY)).toMatchObject({ entitled: false, reason: 'collection_paused' });
  });

  it('an active row past its ended_at has ended, whatever its status says', () => {
    expect(decideAccess(row('active', 'in_period', false, { endedAt: at(-MINUTE) }), NOW, POLICY).reason).toBe('ended');
  });

  it('the stale tolerance is configurable, down to none', () => {
    expect(decideAccess(row('active', 'period_just_ended', false), NOW, { ...POLICY, staleAfterSeconds: 0 }).reason).toBe('stale');
    expect(decideAccess(row('active', 'period_long_ended', false), NOW, { ...POLICY, staleAfterSeconds: 3 * 86_400 }).reason).toBe('active');
  });

  it('a row with no period facts yet entitles on its status alone', () => {
    expect(decideAccess({ ...row('active', 'in_period', false), currentPeriodStart: null, currentPeriodEnd: null }, NOW, POLICY).reason).toBe('active');
  });
});

describe('nextDecisionChange', () => {
  /** A small deterministic generator, so a failure names a row that can be replayed. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
  }
  const STATUSES: (SubscriptionStatus | null)[] = [null, 'active', 'trialing', 'past_due', 'canceled', 'unpaid', 'paused', 'incomplete', 'incomplete_expired'];
  const PAUSES = [null, 'keep_as_draft', 'mark_uncollectible', 'void', 'unknown'] as const;

  function randomRow(next: () => number): AccessFacts {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const instant = () => (next() < 0.25 ? null : at(Math.round((next() - 0.5) * 80 * DAY)));
    const periodStart = instant();
    return {
      status: pick(STATUSES),
      currentPeriodStart: periodStart,
      currentPeriodEnd: periodStart && next() < 0.9 ? new Date(periodStart.getTime() + pick([1, 7, 30]) * DAY) : instant(),
      trialEnd: instant(),
      cancelAtPeriodEnd: next() < 0.3,
      cancelAt: next() < 0.3 ? instant() : null,
      endedAt: next() < 0.2 ? instant() : null,
      pauseBehavior: pick(PAUSES),
      pauseResumesAt: next() < 0.5 ? instant() : null,
      latestPaymentStatus: pick(['succeeded', 'failed', null] as const),
      latestPaymentAt: instant(),
    };
  }

  it('names an instant before which the decision does not change, on 3000 random rows and policies', () => {
    const next = random(20261202);
    for (let i = 0; i < 3000; i++) {
      const row = randomRow(next);
      const policy: AccessPolicy = { pastDueGraceSeconds: Math.floor(next() * 4) * 86_400, denyPausedCollection: next() < 0.2, staleAfterSeconds: Math.floor(next() * 3) * 3600 };
      const now = at(Math.round((next() - 0.5) * 60 * DAY));
      const change = nextDecisionChange(row, now, policy);
      expect(change).toBeGreaterThan(now.getTime());
      const decision = decideAccess(row, now, policy);
      const horizon = Number.isFinite(change) ? change : now.getTime() + 400 * DAY;
      for (const fraction of [0.001, 0.25, 0.5, 0.999]) {
        const later = new Date(Math.floor(now.getTime() + (horizon - now.getTime()) * fraction));
        if (later.getTime() >= change) continue;
        const context = { row, policy, now: now.toISOString(), later: later.toISOString() };
        expect({ ...context, decision: decideAccess(row, later, policy) }).toEqual({ ...context, decision });
      }
      if (Number.isFinite(change)) expect(decideAccess(row, new Date(change - 1), policy)).toEqual(decision);
    }
  });

  it('is reached by a row whose access does change with time (the sampling above is not vacuous)', () => {
    const subscription = row('active', 'in_period', false, { cancelAt: at(DAY) });
    const change = nextDecisionChange(subscription, NOW, POLICY);
    expect(change).toBe(at(DAY).getTime());
    expect(decideAccess(subscription, new Date(change - 1), POLICY).reason).toBe('canceling');
    expect(decideAccess(subscription, new Date(change), POLICY).reason).toBe('ended');
  });
});
