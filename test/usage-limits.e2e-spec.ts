import { BadRequestException, Controller, Get, Module } from '@nestjs/common';
import type { Response } from 'supertest';
import { LitestripeConfigError, LitestripeModule, UsageLimit } from '@litestripe/nestjs';
import { bootAndClose, closeOpenedDataSources } from './support/module-boot';
import { Adapter, WEBHOOK_SECRET } from './support/test-app';
import { LEAP_DAY_NOON, startFragileStoreHost, startGloballyGuardedUsageHost, startUsageHost, storedUse, UsageHost, usageRows } from './support/usage-host';

const DAY = 86_400;
/** 2032-03-01T00:00:00Z: where the leap day (and February) ends. */
const MARCH_1 = Date.UTC(2032, 2, 1) / 1000;
/** 2032-02-01T00:00:00Z */
const FEBRUARY_1 = Date.UTC(2032, 1, 1) / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The rate-limit headers of one metric, as numbers (undefined when absent). */
function rateLimit(response: Response, metric: string) {
  const read = (name: string) => (response.headers[name] === undefined ? undefined : Number(response.headers[name]));
  return { limit: read(`x-ratelimit-limit-${metric}`), remaining: read(`x-ratelimit-remaining-${metric}`), reset: read(`x-ratelimit-reset-${metric}`) };
}

/** The exact 429 body of an exhausted metric. */
function tooMany(metric: string, limit: number, used: number, resetsAt: number, retryAfterSeconds: number) {
  return {
    statusCode: 429,
    error: 'Too Many Requests',
    message: `The ${metric} limit of ${limit} for this period is used up; it resets at ${iso(resetsAt)}.`,
    reason: 'usage_limit',
    metric,
    limit,
    used,
    resetsAt: iso(resetsAt),
    retryAfterSeconds,
  };
}

describe.each<Adapter>(['express', 'fastify'])('@UsageLimit() over HTTP on %s', (adapter) => {
  let t: UsageHost;
  beforeAll(async () => {
    t = await startUsageHost(adapter);
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const get = (path: string, user?: string) => (user ? t.http().get(path).set('x-user', user) : t.http().get(path));
  const post = (path: string, user: string) => t.http().post(path).set('x-user', user);
  /** The account's subscription on `plan`, and when its billing period ends (Stripe's own value). */
  const subscribe = async (account: string, plan: string, quantity?: number) => {
    const { subscription } = await t.subscribe(account, { plan, ...(quantity ? { quantity } : {}) });
    const item = subscription!.items.data[0];
    return { id: subscription!.id, start: item.current_period_start, end: item.current_period_end };
  };

  it('grants calls until the limit, then answers 429 with the exact body, Retry-After and the rate-limit headers', async () => {
    const { start, end } = await subscribe('u_basic', 'basic');
    const secondsLeft = end - t.clock.seconds();
    expect(secondsLeft).toBeGreaterThan(27 * DAY);
    await t.usage.record('u_basic', 'api_calls', 97);

    for (const remaining of [2, 1, 0]) {
      const granted = await get('/api/search', 'u_basic').expect(200, { results: [] });
      expect(rateLimit(granted, 'api_calls')).toEqual({ limit: 100, remaining, reset: secondsLeft });
      expect(granted.headers['retry-after']).toBeUndefined();
    }
    expect(await storedUse(t.dataSource, 'u_basic', 'api_calls')).toBe(100);

    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await get('/api/search', 'u_basic').expect(429);
      expect(refused.headers['content-type']).toMatch(/application\/json/);
      expect(refused.body).toEqual(tooMany('api_calls', 100, 100, end, secondsLeft));
      expect(refused.headers['retry-after']).toBe(String(secondsLeft));
      expect(rateLimit(refused, 'api_calls')).toEqual({ limit: 100, remaining: 0, reset: secondsLeft });
    }
    // Refused calls take nothing; the counter is the billing period's.
    expect(await usageRows(t.dataSource)).toEqual([{ subject: 'account:u_basic', metric: 'api_calls', periodStart: iso(start), periodEnd: iso(end), used: 100 }]);
  });

  it('answers 401 to a call without an account, and counts nothing', async () => {
    const response = await get('/api/search').expect(401);
    expect(response.body).toMatchObject({ reason: 'unauthenticated' });
    expect(await usageRows(t.dataSource)).toEqual([]);
  });

  it('takes a route’s cost at once, or nothing when it does not fit', async () => {
    await subscribe('u_bulk', 'basic');
    await t.usage.record('u_bulk', 'api_calls', 85);
    const first = await post('/api/bulk', 'u_bulk').expect(200, { bulk: true });
    expect(rateLimit(first, 'api_calls')).toMatchObject({ limit: 100, remaining: 5 });
    expect(await storedUse(t.dataSource, 'u_bulk', 'api_calls')).toBe(95);

    const refused = await post('/api/bulk', 'u_bulk').expect(429);
    expect(refused.body).toMatchObject({ metric: 'api_calls', limit: 100, used: 95 });
    expect(await storedUse(t.dataSource, 'u_bulk', 'api_calls')).toBe(95); // not 100: no partial take

    const single = await get('/api/search', 'u_bulk').expect(200);
    expect(rateLimit(single, 'api_calls')).toMatchObject({ remaining: 4 });
    expect(await storedUse(t.dataSource, 'u_bulk', 'api_calls')).toBe(96);
  });

  it('applies the decorator’s own limit to subscribers and to everyone else alike', async () => {
    await subscribe('u_pro', 'pro');
    for (const user of ['u_pro', 'u_nobody']) {
      for (const remaining of [1, 0]) expect(rateLimit(await get('/api/preview', user).expect(200, { preview: true }), 'previews')).toMatchObject({ limit: 2, remaining });
      const refused = await get('/api/preview', user).expect(429);
      expect(refused.body).toMatchObject({ reason: 'usage_limit', metric: 'previews', limit: 2, used: 2 });
    }
    // Outside the route nothing grants previews: no plan and no free limit lists them.
    expect(await t.usage.check('u_nobody', 'previews')).toMatchObject({ source: 'none', limit: 0, used: 2 });
    expect(await t.usage.check('u_pro', 'previews')).toMatchObject({ source: 'plan', plan: 'pro', limit: 0, used: 2 });
    expect((await usageRows(t.dataSource)).map(({ subject, metric, used }) => [subject, metric, used])).toEqual([
      ['account:u_nobody', 'previews', 2],
      ['account:u_pro', 'previews', 2],
    ]);
  });

  it('gives the units back when the handler fails with a 5xx, keeps them on a 4xx and with keepOnError', async () => {
    await subscribe('u_err', 'basic');
    await t.usage.record('u_err', 'api_calls', 98);

    await get('/api/crash', 'u_err').expect(500);
    expect(await storedUse(t.dataSource, 'u_err', 'api_calls')).toBe(98);
    const unavailable = await get('/api/unavailable', 'u_err').expect(503);
    expect(unavailable.body).toMatchObject({ message: 'The search index is rebuilding.' });
    expect(await storedUse(t.dataSource, 'u_err', 'api_calls')).toBe(98);

    await get('/api/invalid', 'u_err').expect(400);
    expect(await storedUse(t.dataSource, 'u_err', 'api_calls')).toBe(99);
    await get('/api/crash-kept', 'u_err').expect(500);
    expect(await storedUse(t.dataSource, 'u_err', 'api_calls')).toBe(100);

    // Used up by the kept ones: a failing call is refused before its handler runs, and refunds nothing.
    await get('/api/crash', 'u_err').expect(429);
    expect(await storedUse(t.dataSource, 'u_err', 'api_calls')).toBe(100);
  });

  it('lets an account without a subscription use the free limits, in the calendar month, and refuses what the free tier lacks with 403', async () => {
    const toMonthEnd = MARCH_1 - t.clock.seconds();
    expect(toMonthEnd).toBe(DAY / 2);
    for (const remaining of [2, 1, 0]) {
      const granted = await get('/api/search', 'u_free').expect(200);
      expect(rateLimit(granted, 'api_calls')).toEqual({ limit: 3, remaining, reset: toMonthEnd });
    }
    const refused = await get('/api/search', 'u_free').expect(429);
    expect(refused.body).toEqual(tooMany('api_calls', 3, 3, MARCH_1, toMonthEnd));
    expect(refused.headers['retry-after']).toBe(String(toMonthEnd));

    const denied = await post('/api/export', 'u_free').expect(403);
    expect(denied.body).toMatchObject({ statusCode: 403, reason: 'subscription_required', entitlement: { entitled: false, reason: 'no_subscription' } });
    expect(rateLimit(denied, 'exports')).toEqual({ limit: undefined, remaining: undefined, reset: undefined });
    expect(await usageRows(t.dataSource)).toEqual([{ subject: 'account:u_free', metric: 'api_calls', periodStart: iso(FEBRUARY_1), periodEnd: iso(MARCH_1), used: 3 }]);
  });

  it('multiplies a per-seat limit by the subscription’s quantity', async () => {
    await subscribe('u_team', 'basic', 3);
    const first = await get('/api/team', 'u_team').expect(200);
    expect(rateLimit(first, 'seat_calls')).toMatchObject({ limit: 30, remaining: 29 });
    expect(await t.usage.check('u_team', 'seat_calls')).toMatchObject({ limit: 30, used: 1, seats: 3, plan: 'basic' });
    await t.usage.record('u_team', 'seat_calls', 29);
    expect((await get('/api/team', 'u_team').expect(429)).body).toMatchObject({ metric: 'seat_calls', limit: 30, used: 30 });
    // api_calls is not per seat: 100, whatever the quantity.
    expect(rateLimit(await get('/api/search', 'u_team').expect(200), 'api_calls')).toMatchObject({ limit: 100 });
  });

  it('takes the most generous limit of two entitling subscriptions, counted in that one’s period', async () => {
    await subscribe('u_two', 'basic');
    t.fake.advanceClock(3600); // the second subscription's period starts an hour later
    t.clock.advance(3600);
    const pro = await subscribe('u_two', 'pro');
    const response = await get('/api/search', 'u_two').expect(200);
    expect(rateLimit(response, 'api_calls')).toEqual({ limit: 1000, remaining: 999, reset: pro.end - t.clock.seconds() });
    expect(await t.usage.check('u_two', 'api_calls')).toMatchObject({ plan: 'pro', limit: 1000, used: 1, periodStart: new Date(pro.start * 1000), periodEnd: new Date(pro.end * 1000) });
    expect(await usageRows(t.dataSource)).toEqual([{ subject: 'account:u_two', metric: 'api_calls', periodStart: iso(pro.start), periodEnd: iso(pro.end), used: 1 }]);
  });

  it('with @RequiresPlan() too, checks the plan first: a basic account gets 403 and spends nothing', async () => {
    await subscribe('u_basic', 'basic');
    await subscribe('u_pro', 'pro');
    const denied = await get('/api/pro-search', 'u_basic').expect(403);
    expect(denied.body).toMatchObject({ reason: 'plan_required', required: { plans: ['pro'] } });
    await get('/api/pro-search', 'u_free').expect(403); // the free tier's api_calls do not open a plan's route
    expect(await usageRows(t.dataSource)).toEqual([]);

    const granted = await get('/api/pro-search', 'u_pro').expect(200, { pro: true });
    expect(rateLimit(granted, 'api_calls')).toMatchObject({ limit: 1000, remaining: 999 });
    expect((await usageRows(t.dataSource)).map(({ subject, used }) => [subject, used])).toEqual([['account:u_pro', 1]]);
  });

  it('takes every limit of a route or none: a refused one gives back what the others took', async () => {
    await subscribe('u_exp', 'basic');
    for (const remaining of [5, 0]) {
      const granted = await post('/bundle/export', 'u_exp').expect(200, { exported: 'all' });
      expect(rateLimit(granted, 'exports')).toMatchObject({ limit: 10, remaining });
      expect(rateLimit(granted, 'api_calls')).toMatchObject({ limit: 100, remaining: 100 - (remaining === 5 ? 1 : 2) });
    }
    // api_calls (the controller's) is taken first, then exports is refused: the API call is given back.
    const refused = await post('/bundle/export', 'u_exp').expect(429);
    expect(refused.body).toMatchObject({ metric: 'exports', limit: 10, used: 10 });
    // Its headers say what is left once it was given back, not what was left while it was held.
    expect(rateLimit(refused, 'api_calls')).toMatchObject({ limit: 100, remaining: 98 });
    expect(await storedUse(t.dataSource, 'u_exp', 'api_calls')).toBe(2);
    expect(await storedUse(t.dataSource, 'u_exp', 'exports')).toBe(10);
  });

  it('names the headers of a metric with a colon with a dash instead (header names cannot carry a colon)', async () => {
    const { end } = await subscribe('u_ai', 'basic');
    const secondsLeft = end - t.clock.seconds();
    for (const remaining of [1, 0]) {
      // A bad header name once made Fastify never answer: fail fast instead.
      const granted = await get('/api/generate', 'u_ai').timeout(5000).expect(200, { generated: true });
      expect(rateLimit(granted, 'ai-tokens')).toEqual({ limit: 2, remaining, reset: secondsLeft });
    }
    const refused = await get('/api/generate', 'u_ai').timeout(5000).expect(429);
    expect(refused.body).toEqual(tooMany('ai:tokens', 2, 2, end, secondsLeft));
    expect(refused.headers['retry-after']).toBe(String(secondsLeft));
    expect(rateLimit(refused, 'ai-tokens')).toEqual({ limit: 2, remaining: 0, reset: secondsLeft });
    expect(await storedUse(t.dataSource, 'u_ai', 'ai:tokens')).toBe(2);
  });

  it('counts an unlimited plan’s calls without rate-limit headers', async () => {
    await subscribe('u_ent', 'enterprise');
    await t.usage.record('u_ent', 'api_calls', 1_000_000);
    const response = await get('/api/search', 'u_ent').expect(200);
    expect(rateLimit(response, 'api_calls')).toEqual({ limit: undefined, remaining: undefined, reset: undefined });
    expect(await storedUse(t.dataSource, 'u_ent', 'api_calls')).toBe(1_000_001);
    expect(await t.usage.check('u_ent', 'api_calls')).toMatchObject({ limit: Infinity, remaining: Infinity, nearLimit: false, overLimit: false, plan: 'enterprise' });
  });
});

describe('usage periods, plan changes and cancellation (Express)', () => {
  let t: UsageHost;
  beforeAll(async () => {
    t = await startUsageHost('express');
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const search = (user: string) => t.http().get('/api/search').set('x-user', user);
  /** Moves the module's clock (only) to `seconds`. */
  const moveClockTo = (seconds: number) => t.clock.advance(seconds - t.clock.seconds());

  it('billing period: used up one second before the period end, counted from zero at the end, before and after the renewal arrives', async () => {
    const { subscription } = await t.subscribe('u_renew', { plan: 'basic' });
    const start = subscription!.items.data[0].current_period_start;
    const end = subscription!.items.data[0].current_period_end;
    await t.usage.record('u_renew', 'api_calls', 100);

    moveClockTo(end - 1);
    const refused = await search('u_renew').expect(429);
    expect(refused.body).toEqual(tooMany('api_calls', 100, 100, end, 1));
    expect(refused.headers['retry-after']).toBe('1');
    expect(rateLimit(refused, 'api_calls')).toEqual({ limit: 100, remaining: 0, reset: 1 });

    // At the end, before Stripe's renewal reaches the webhook: the next period has begun (its end estimated).
    moveClockTo(end);
    const early = await search('u_renew').expect(200);
    expect(rateLimit(early, 'api_calls')).toEqual({ limit: 100, remaining: 99, reset: end - start });
    expect(await t.usage.check('u_renew', 'api_calls')).toMatchObject({ used: 1, periodStart: new Date(end * 1000) });

    // Stripe renews at the period end; its events reach the webhook.
    const { events } = t.fake.advanceClock(end - t.fake.now());
    expect(events.map((e) => e.type)).toContain('customer.subscription.updated');
    await t.deliver(...events);
    const renewed = await t.row(subscription!.id);
    expect(renewed!.currentPeriodStart).toEqual(new Date(end * 1000));
    const nextEnd = renewed!.currentPeriodEnd!.getTime() / 1000;
    expect(nextEnd).toBeGreaterThan(end + 27 * DAY);

    // The same counter as before the webhook, now with the renewed period's end.
    const granted = await search('u_renew').expect(200);
    expect(rateLimit(granted, 'api_calls')).toEqual({ limit: 100, remaining: 98, reset: nextEnd - end });
    expect(await t.usage.check('u_renew', 'api_calls')).toMatchObject({ used: 2, remaining: 98, periodStart: new Date(end * 1000), periodEnd: new Date(nextEnd * 1000) });
    expect((await usageRows(t.dataSource)).map(({ metric, periodStart, used }) => ({ metric, periodStart, used }))).toEqual([
      { metric: 'api_calls', periodStart: iso(start), used: 100 },
      { metric: 'api_calls', periodStart: iso(end), used: 2 },
    ]);
  });

  it('calendar day: used up on 29 February until 23:59:59, counted from zero at 00:00:00 on 1 March', async () => {
    await t.subscribe('u_daily', { plan: 'basic' });
    for (let i = 0; i < 5; i++) await t.http().get('/api/daily').set('x-user', 'u_daily').expect(200);
    const atNoon = await t.http().get('/api/daily').set('x-user', 'u_daily').expect(429);
    expect(atNoon.body).toEqual(tooMany('daily_calls', 5, 5, MARCH_1, DAY / 2));

    moveClockTo(MARCH_1 - 1);
    const lastSecond = await t.http().get('/api/daily').set('x-user', 'u_daily').expect(429);
    expect(lastSecond.headers['retry-after']).toBe('1');
    expect(rateLimit(lastSecond, 'daily_calls')).toEqual({ limit: 5, remaining: 0, reset: 1 });

    moveClockTo(MARCH_1);
    const nextDay = await t.http().get('/api/daily').set('x-user', 'u_daily').expect(200);
    expect(rateLimit(nextDay, 'daily_calls')).toEqual({ limit: 5, remaining: 4, reset: DAY });
    expect(await usageRows(t.dataSource)).toEqual([
      { subject: 'account:u_daily', metric: 'daily_calls', periodStart: iso(LEAP_DAY_NOON - DAY / 2), periodEnd: iso(MARCH_1), used: 5 },
      { subject: 'account:u_daily', metric: 'daily_calls', periodStart: iso(MARCH_1), periodEnd: iso(MARCH_1 + DAY), used: 1 },
    ]);
  });

  it('free tier: the calendar month turns from 31 December 23:59:59 to 1 January 00:00:00 UTC', async () => {
    const newYear = Date.UTC(2033, 0, 1) / 1000;
    moveClockTo(newYear - 1);
    for (let i = 0; i < 3; i++) await search('u_free').expect(200);
    const refused = await search('u_free').expect(429);
    expect(refused.body).toEqual(tooMany('api_calls', 3, 3, newYear, 1));

    moveClockTo(newYear);
    expect(rateLimit(await search('u_free').expect(200), 'api_calls')).toEqual({ limit: 3, remaining: 2, reset: 31 * DAY });
    expect(await usageRows(t.dataSource)).toEqual([
      { subject: 'account:u_free', metric: 'api_calls', periodStart: iso(Date.UTC(2032, 11, 1) / 1000), periodEnd: iso(newYear), used: 3 },
      { subject: 'account:u_free', metric: 'api_calls', periodStart: iso(newYear), periodEnd: iso(Date.UTC(2033, 1, 1) / 1000), used: 1 },
    ]);
  });

  it('an upgrade mid-period keeps what was used and applies the new limit at once; a downgrade below it refuses at once', async () => {
    const { subscription } = await t.subscribe('u_change', { plan: 'basic' });
    const before = await t.row(subscription!.id);
    await t.usage.record('u_change', 'api_calls', 90);
    expect(await t.usage.check('u_change', 'api_calls')).toMatchObject({ plan: 'basic', limit: 100, used: 90, remaining: 10, nearLimit: true, overLimit: false });

    t.fake.advanceClock(2 * DAY);
    t.clock.advance(2 * DAY);
    await t.billing.changePlan('u_change', 'pro');
    const upgraded = await t.row(subscription!.id);
    expect(upgraded!.currentPeriodStart).toEqual(before!.currentPeriodStart); // the same period
    expect(await t.usage.check('u_change', 'api_calls')).toMatchObject({
      plan: 'pro',
      limit: 1000,
      used: 90,
      remaining: 910,
      nearLimit: false,
      overLimit: false,
      periodStart: before!.currentPeriodStart,
      periodEnd: before!.currentPeriodEnd,
    });
    expect(rateLimit(await search('u_change').expect(200), 'api_calls')).toMatchObject({ limit: 1000, remaining: 909 });

    // Up to 150, then the customer moves back to basic in the portal: Stripe's webhook tells.
    await t.usage.record('u_change', 'api_calls', 59);
    await t.stripeChanges(subscription!.id, { price: 'basic_monthly' });
    expect((await t.row(subscription!.id))!.lookupKey).toBe('basic_monthly');
    expect(await t.usage.check('u_change', 'api_calls')).toMatchObject({ plan: 'basic', limit: 100, used: 150, remaining: 0, overLimit: true });
    const refused = await search('u_change').expect(429);
    expect(refused.body).toMatchObject({ metric: 'api_calls', limit: 100, used: 150, resetsAt: before!.currentPeriodEnd!.toISOString() });
    // One counter throughout: the plan changed, the period did not.
    expect(await usageRows(t.dataSource)).toEqual([
      { subject: 'account:u_change', metric: 'api_calls', periodStart: before!.currentPeriodStart!.toISOString(), periodEnd: before!.currentPeriodEnd!.toISOString(), used: 150 },
    ]);
  });

  it('a canceled subscription (customer.subscription.deleted) leaves the free limits, and 403 where the free tier grants nothing', async () => {
    const { subscription } = await t.subscribe('u_leaving', { plan: 'basic' });
    await t.usage.record('u_leaving', 'api_calls', 50);
    await t.http().post('/api/export').set('x-user', 'u_leaving').expect(200);
    expect(rateLimit(await search('u_leaving').expect(200), 'api_calls')).toMatchObject({ limit: 100, remaining: 49 });

    const events = await t.stripeChanges(subscription!.id, { status: 'canceled' });
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.deleted']);
    expect(await t.usage.check('u_leaving', 'api_calls')).toMatchObject({ source: 'free', limit: 3, used: 0, plan: null, seats: null, periodStart: new Date(FEBRUARY_1 * 1000) });

    const free = await search('u_leaving').expect(200);
    expect(rateLimit(free, 'api_calls')).toEqual({ limit: 3, remaining: 2, reset: MARCH_1 - t.clock.seconds() });
    const denied = await t.http().post('/api/export').set('x-user', 'u_leaving').expect(403);
    expect(denied.body).toMatchObject({ reason: 'subscription_required', entitlement: { entitled: false, reason: 'canceled' } });
    expect(await storedUse(t.dataSource, 'u_leaving', 'exports')).toBe(1); // the 403 took nothing
    expect(await storedUse(t.dataSource, 'u_leaving', 'api_calls', new Date(FEBRUARY_1 * 1000))).toBe(1);
  });
});

describe.each<Adapter>(['express', 'fastify'])('a global SubscriptionGuard with @UsageLimit() routes on %s', (adapter) => {
  let t: UsageHost;
  beforeAll(async () => {
    t = await startGloballyGuardedUsageHost(adapter);
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('takes the units once per request, though the guard runs twice', async () => {
    await t.subscribe('u_basic', { plan: 'basic' });
    for (const remaining of [99, 98, 97]) {
      const response = await t.http().get('/g/search').set('x-account', 'u_basic').expect(200);
      expect(rateLimit(response, 'api_calls')).toMatchObject({ limit: 100, remaining });
    }
    expect(await storedUse(t.dataSource, 'u_basic', 'api_calls')).toBe(3);
    await t.usage.record('u_basic', 'api_calls', 96);
    await t.http().get('/g/search').set('x-account', 'u_basic').expect(200);
    await t.http().get('/g/search').set('x-account', 'u_basic').expect(429);
    expect(await storedUse(t.dataSource, 'u_basic', 'api_calls')).toBe(100);
  });

  it('lets the free tier through a @UsageLimit() route, and still requires a subscription elsewhere', async () => {
    await t.http().get('/g/search').set('x-account', 'u_free').expect(200);
    expect(await storedUse(t.dataSource, 'u_free', 'api_calls')).toBe(1);
    const denied = await t.http().get('/g/dashboard').set('x-account', 'u_free').expect(403);
    expect(denied.body).toMatchObject({ reason: 'subscription_required' });
    await t.subscribe('u_basic', { plan: 'basic' });
    await t.http().get('/g/dashboard').set('x-account', 'u_basic').expect(200, { dashboard: true });
    expect(await storedUse(t.dataSource, 'u_basic', 'api_calls')).toBe(0);
  });
});

describe.each<Adapter>(['express', 'fastify'])('a store that fails for a route’s second limit, on %s', (adapter) => {
  let t: UsageHost;
  beforeAll(async () => {
    t = await startFragileStoreHost(adapter);
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('answers 500 and gives back the units the first limit took', async () => {
    await t.subscribe('u_fragile', { plan: 'basic' });
    const response = await t.http().get('/fragile').set('x-user', 'u_fragile').timeout(5000).expect(500);
    expect(response.body).toMatchObject({ statusCode: 500 });
    // The controller's api_calls unit was taken first (PostgreSQL), then Redis failed: nothing is kept.
    expect(await storedUse(t.dataSource, 'u_fragile', 'api_calls')).toBe(0);
    expect((await usageRows(t.dataSource)).map(({ metric }) => metric)).toEqual(['api_calls']);
  });
});

describe('UsageService', () => {
  let t: UsageHost;
  beforeAll(async () => {
    t = await startUsageHost('express');
  }, 30_000);
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const records = async () => (await t.dataSource.query('SELECT subject, metric, idempotency_key, quantity FROM litestripe_usage_record ORDER BY idempotency_key')).map((r: Record<string, string>) => ({ ...r, quantity: Number(r.quantity) }));

  it('record() counts once per idempotency key: a retry adds nothing and says duplicate', async () => {
    await t.subscribe('u_rec', { plan: 'basic' });
    expect(await t.usage.record('u_rec', 'api_calls', 5, { idempotencyKey: 'job-1' })).toMatchObject({ used: 5, remaining: 95, duplicate: false, metered: false });
    expect(await t.usage.record({ account: 'u_rec' }, 'api_calls', 5, { idempotencyKey: 'job-1' })).toMatchObject({ used: 5, remaining: 95, duplicate: true, metered: false });
    expect(await t.usage.record('u_rec', 'api_calls', 5, { idempotencyKey: 'job-2' })).toMatchObject({ used: 10, duplicate: false });
    // Without a key, every call counts.
    await t.usage.record('u_rec', 'api_calls');
    expect(await t.usage.record('u_rec', 'api_calls')).toMatchObject({ used: 12, duplicate: false });
    // The key is per metric.
    expect(await t.usage.record('u_rec', 'exports', 1, { idempotencyKey: 'job-1' })).toMatchObject({ used: 1, duplicate: false });
    // Concurrent retries of one key: one counts.
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => t.usage.record('u_rec', 'api_calls', 7, { idempotencyKey: 'job-3' })));
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);

    expect(await storedUse(t.dataSource, 'u_rec', 'api_calls')).toBe(19);
    expect(await records()).toEqual([
      { subject: 'account:u_rec', metric: 'api_calls', idempotency_key: 'job-1', quantity: 5 },
      { subject: 'account:u_rec', metric: 'exports', idempotency_key: 'job-1', quantity: 1 },
      { subject: 'account:u_rec', metric: 'api_calls', idempotency_key: 'job-2', quantity: 5 },
      { subject: 'account:u_rec', metric: 'api_calls', idempotency_key: 'job-3', quantity: 7 },
    ]);
  });

  it('record() counts whatever the limit and says when it went over', async () => {
    await t.subscribe('u_over', { plan: 'basic' });
    expect(await t.usage.record('u_over', 'exports', 12)).toMatchObject({ used: 12, limit: 10, remaining: 0, overLimit: true, nearLimit: true });
    expect(await storedUse(t.dataSource, 'u_over', 'exports')).toBe(12);
    expect((await t.http().post('/api/export').set('x-user', 'u_over').expect(429)).body).toMatchObject({ metric: 'exports', limit: 10, used: 12 });
  });

  it('check() and usage() report every metric of the plan with its period, plan, seats and source', async () => {
    const { subscription } = await t.subscribe('u_meter', { plan: 'basic', quantity: 2 });
    const start = new Date(subscription!.items.data[0].current_period_start * 1000);
    const end = new Date(subscription!.items.data[0].current_period_end * 1000);
    await t.usage.record('u_meter', 'api_calls', 80);
    await t.usage.record('u_meter', 'exports', 3);
    await t.usage.record('u_meter', 'seat_calls', 20);

    expect(await t.usage.check('u_meter', 'api_calls')).toEqual({
      metric: 'api_calls',
      used: 80,
      credits: 0,
      limit: 100,
      remaining: 20,
      periodStart: start,
      periodEnd: end,
      nearLimit: true,
      overLimit: false,
      source: 'plan',
      plan: 'basic',
      seats: 2,
    });
    const meter = await t.usage.usage('u_meter');
    expect(meter.map((c) => [c.metric, c.used, c.limit, c.remaining, c.nearLimit, c.overLimit, c.source])).toEqual([
      ['ai:tokens', 0, 2, 2, false, false, 'plan'],
      ['api_calls', 80, 100, 20, true, false, 'plan'],
      ['daily_calls', 0, 5, 5, false, false, 'plan'],
      ['exports', 3, 10, 7, false, false, 'plan'],
      ['seat_calls', 20, 20, 0, true, true, 'plan'], // 10 per seat, 2 seats
    ]);
    // The plan's 'storage (GB)' limit is no metric: usage() leaves it out, getEntitlement() still reports it.
    expect((await t.service.getEntitlement('u_meter')).limits).toMatchObject({ 'storage (GB)': 5 });
    const day = { periodStart: new Date((MARCH_1 - DAY) * 1000), periodEnd: new Date(MARCH_1 * 1000) };
    expect(meter.find((c) => c.metric === 'daily_calls')).toMatchObject(day);
    for (const check of meter.filter((c) => c.metric !== 'daily_calls')) expect(check).toMatchObject({ periodStart: start, periodEnd: end, plan: 'basic', seats: 2 });

    // Without a subscription: the configured metrics and the free limits, with what nothing grants as none.
    const free = await t.usage.usage({ account: 'u_nobody' });
    expect(free.map((c) => [c.metric, c.limit, c.source, c.plan, c.seats])).toEqual([
      ['api_calls', 3, 'free', null, null],
      ['daily_calls', 1, 'free', null, null],
      ['seat_calls', 0, 'none', null, null],
      ['uploads', 10, 'free', null, null],
    ]);
    expect(free[0]).toMatchObject({ periodStart: new Date(FEBRUARY_1 * 1000), periodEnd: new Date(MARCH_1 * 1000), used: 0, remaining: 3, nearLimit: false, overLimit: false });
    expect(await t.usage.check('u_nobody', 'exports')).toMatchObject({ source: 'none', limit: 0, remaining: 0, overLimit: true });
  });

  it('consume() takes within the limit and release() gives back once', async () => {
    await t.subscribe('u_take', { plan: 'basic' });
    await t.usage.record('u_take', 'exports', 8);
    const taken = await t.usage.consume('u_take', 'exports', { cost: 2 });
    expect(taken).toMatchObject({ granted: true, cost: 2, check: { used: 10, remaining: 0 }, allowance: { limit: 10, source: 'plan', plan: 'basic' } });
    const refused = await t.usage.consume('u_take', 'exports');
    expect(refused).toMatchObject({ granted: false, check: { used: 10 } });
    await refused.release(); // nothing was taken: nothing to give back
    expect(await storedUse(t.dataSource, 'u_take', 'exports')).toBe(10);
    await taken.release();
    await taken.release();
    expect(await storedUse(t.dataSource, 'u_take', 'exports')).toBe(8);
  });

  it('refuses bad input with a BadRequestException that says what is wrong, and counts nothing', async () => {
    await t.subscribe('u_bad', { plan: 'basic' });
    const attempts: [string, () => Promise<unknown>, RegExp][] = [
      ['a metric name with a space', () => t.usage.record('u_bad', 'api calls'), /Not a metric name: "api calls"/],
      ['an empty metric name', () => t.usage.record('u_bad', ''), /Not a metric name: ""/],
      ['a metric that is not a string', () => t.usage.record('u_bad', 7 as unknown as string), /Not a metric name: 7/],
      ['a quantity of 0', () => t.usage.record('u_bad', 'api_calls', 0), /quantity must be a whole number of at least 1 \(got 0\)/],
      ['a fractional quantity', () => t.usage.record('u_bad', 'api_calls', 1.5), /quantity must be a whole number of at least 1 \(got 1\.5\)/],
      ['a negative quantity', () => t.usage.record('u_bad', 'api_calls', -1), /quantity must be a whole number of at least 1 \(got -1\)/],
      ['a quantity as text', () => t.usage.record('u_bad', 'api_calls', '2' as unknown as number), /quantity must be a whole number of at least 1 \(got "2"\)/],
      ['a quantity of NaN', () => t.usage.record('u_bad', 'api_calls', NaN), /quantity must be a whole number/],
      ['an email as subject', () => t.usage.record('user@example.com', 'api_calls'), /Account reference "user@example.com" cannot be stored/],
      ['an empty subject', () => t.usage.record('', 'api_calls'), /Account reference "" cannot be stored/],
      ['a subject object without account', () => t.usage.record({} as { account: string }, 'api_calls'), /usage subject is an account reference, \{ account \} or \{ guestToken \}/],
      ['a null subject', () => t.usage.record(null as unknown as string, 'api_calls'), /usage subject is an account reference, \{ account \} or \{ guestToken \}/],
      ['an empty idempotency key', () => t.usage.record('u_bad', 'api_calls', 1, { idempotencyKey: '' }), /idempotencyKey must be 1 to 200 printable ASCII characters \(got ""\)/],
      ['an idempotency key with a space', () => t.usage.record('u_bad', 'api_calls', 1, { idempotencyKey: 'job 1' }), /idempotencyKey must be 1 to 200 printable ASCII/],
      ['an idempotency key of 201 characters', () => t.usage.record('u_bad', 'api_calls', 1, { idempotencyKey: 'k'.repeat(201) }), /idempotencyKey must be 1 to 200/],
      ['a non-ASCII idempotency key', () => t.usage.record('u_bad', 'api_calls', 1, { idempotencyKey: 'tâche-1' }), /idempotencyKey must be 1 to 200 printable ASCII/],
      ['an idempotency key that is a number', () => t.usage.record('u_bad', 'api_calls', 1, { idempotencyKey: 5 as unknown as string }), /idempotencyKey must be/],
      ['check() of a bad metric', () => t.usage.check('u_bad', 'api/calls'), /Not a metric name/],
      ['check() of a bad subject', () => t.usage.check({ account: 'a b' }, 'api_calls'), /Account reference "a b" cannot be stored/],
      ['usage() of a bad subject', () => t.usage.usage(42 as unknown as string), /usage subject is an account reference/],
      ['consume() with a cost of 0', () => t.usage.consume('u_bad', 'api_calls', { cost: 0 }), /cost must be a whole number of at least 1 \(got 0\)/],
      ['consume() with a negative limit', () => t.usage.consume('u_bad', 'api_calls', { limit: -1 }), /limit must be a number >= 0 \(got -1\)/],
    ];
    for (const [label, attempt, message] of attempts) {
      const error = await attempt().then(
        () => new Error(`${label} was accepted`),
        (e: unknown) => e,
      );
      expect([label, error]).toEqual([label, expect.any(BadRequestException)]);
      expect([label, (error as Error).message]).toEqual([label, expect.stringMatching(message)]);
    }
    expect(await usageRows(t.dataSource)).toEqual([]);
    expect(await records()).toEqual([]);
  });
});

describe('@UsageLimit() on a metric nothing limits stops the app at start-up', () => {
  afterEach(() => closeOpenedDataSources());

  @Controller('typo')
  class TypoController {
    @UsageLimit('api_call')
    @Get()
    typo() {
      return {};
    }
  }

  @UsageLimit('exprots')
  @Controller('typo-class')
  class TypoOnClassController {
    @Get()
    index() {
      return {};
    }
  }

  @Controller('fine')
  class FineController {
    @UsageLimit('api_calls') // a plan's limit
    @Get('calls')
    calls() {
      return {};
    }

    @UsageLimit('uploads') // only the free tier's
    @Get('uploads')
    uploads() {
      return {};
    }

    @UsageLimit('previews', { limit: 5 }) // only the decorator's
    @Get('previews')
    previews() {
      return {};
    }
  }

  const boot = async (controller: new () => unknown) => {
    @Module({ controllers: [controller] })
    class Routes {}
    await bootAndClose(
      LitestripeModule.forRoot({
        secretKey: 'sk_test_litestripe',
        webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
        webhookSecret: WEBHOOK_SECRET,
        isGlobal: true,
        plans: { pro: { prices: { test: 'price_pro' }, limits: { api_calls: 1000 } } },
        usage: { freeLimits: { uploads: 3 } },
      }),
      { imports: [Routes] },
    );
  };

  it('on a handler', async () => {
    const error = await boot(TypoController).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as LitestripeConfigError).option).toBe('plans');
    expect((error as Error).message).toMatch(/sets no limit for "api_call", which @UsageLimit\(\) on TypoController\.typo counts/);
  });

  it('on a controller', async () => {
    const error = await boot(TypoOnClassController).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/sets no limit for "exprots", which @UsageLimit\(\) on TypoOnClassController counts/);
  });

  it('but boots with metrics a plan, the free tier or the decorator limits', async () => {
    await expect(boot(FineController)).resolves.toBeUndefined();
  });

  it('refuses a bad decorator at once, when the class is declared', () => {
    expect(() => UsageLimit('api calls')).toThrow(/@UsageLimit\(\) needs a metric name/);
    expect(() => UsageLimit('api_calls', { cost: 0 })).toThrow(/cost must be a whole number of at least 1 \(got 0\)/);
    expect(() => UsageLimit('api_calls', { cost: 1.5 })).toThrow(/cost must be a whole number/);
    expect(() => UsageLimit('api_calls', { limit: -1 })).toThrow(/limit must be a number >= 0 or Infinity \(got -1\)/);
    expect(() => UsageLimit('api_calls', { keepOnError: 'yes' as unknown as boolean })).toThrow(/keepOnError must be true or false/);
  });
});
