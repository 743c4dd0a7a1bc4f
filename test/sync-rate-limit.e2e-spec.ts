import Stripe from 'stripe';
import { getStripeClientToken, SubscriptionSyncService } from '@litestripe/nestjs';
import { FakeStripe } from '@litestripe/nestjs/testing';
import { watchEventLoopStalls } from './support/event-loop-stalls';
import { createTestApp, TestApp } from './support/test-app';

/** A backfill is in the default lane: 2 of the 5 requests per window, the rest kept for refreshes. */
const LIMIT = 2;
const BUDGET = 5;
const RESERVE = 0.6;
const WINDOW_MS = 2000;

/**
 * Stripe's own HTTP client, noting when each request is handed to it: the rate-limited client
 * does so right after the limiter granted a slot. (Arrival times at the fake lag behind by however
 * long the shared event loop is busy writing rows, which says nothing about the limiter.)
 */
function recordingHttpClient(sentAt: number[]): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    makeRequest: (...args: Parameters<Stripe.HttpClient['makeRequest']>) => {
      sentAt.push(Date.now());
      return inner.makeRequest(...args);
    },
  } as Stripe.HttpClient;
}

/** Most of `times` within any `windowMs` that starts at one of them. */
function busiestWindow(times: number[], windowMs: number): number {
  return Math.max(...times.map((start) => times.filter((time) => time >= start && time < start + windowMs).length));
}

describe('SubscriptionSyncService: a backfill stays within the API rate limit', () => {
  const sentAt: number[] = [];
  let fake: FakeStripe;
  let t: TestApp;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    t = await createTestApp({
      options: { stripe: { ...fake.clientConfig(), httpClient: recordingHttpClient(sentAt) }, maxRequestsPerMinute: BUDGET, rateLimitReserveForRefreshes: RESERVE, rateLimitWindowMs: WINDOW_MS },
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it(`never sends more than its lane's ${LIMIT} of ${BUDGET} requests in any ${WINDOW_MS} ms, and uses the budget it has`, async () => {
    // When the backfill asked for each page: stripe-node's 'request' event fires as the rate-limited
    // client is handed the request, before the limiter's wait.
    const askedAt: number[] = [];
    t.app.get<Stripe>(getStripeClientToken()).on('request', (event: Stripe.RequestEvent) => askedAt.push(event.request_start_time));
    fake.seedSubscriptions(750); // 8 pages
    const stalls = watchEventLoopStalls();
    const startedAt = Date.now();
    const summary = await t.app.get(SubscriptionSyncService).backfill({ concurrency: 16 });
    const elapsedMs = Date.now() - startedAt;
    const stallMs = stalls();

    expect(summary).toMatchObject({ created: 750, failed: 0, complete: true });
    expect(fake.requests).toHaveLength(8);
    expect(sentAt).toHaveLength(8);
    expect(askedAt).toHaveLength(8);
    expect(busiestWindow(sentAt, WINDOW_MS)).toBe(LIMIT);
    // 8 calls at 2 per window need 3 full windows of waiting (the limiter's store adds 3%, at least 50 ms, to each).
    const windowMs = Math.max(WINDOW_MS * 1.03, WINDOW_MS + 50);
    expect(elapsedMs).toBeGreaterThanOrEqual((Math.ceil(8 / LIMIT) - 1) * windowMs);
    // The budget is used: a request the limiter held goes as soon as the window lets it, i.e. one
    // window after the request LIMIT places before it. (How long writing a page delays asking for the
    // next one depends on the machine, and is not the limiter's: windows of 2 s and 16 writers keep
    // the writes shorter than a window, so the limiter does hold requests.) A held request waits on
    // two timers (the store's expiry of the hit and the limiter's poll), each late by at most the
    // longest stall of the event loop.
    const lateMs = sentAt.map((sent, i) => (i < LIMIT || sent - askedAt[i] < 50 ? 0 : sent - (sentAt[i - LIMIT] + windowMs)));
    expect(sentAt.filter((sent, i) => sent - askedAt[i] >= 100).length).toBeGreaterThan(0);
    expect(Math.max(...lateMs)).toBeLessThan(400 + 2 * stallMs);
  }, 30_000);
});
