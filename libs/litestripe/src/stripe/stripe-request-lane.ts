import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The lane of the API rate limiter a Stripe request queues in. `refresh`: reads that decide access
 * now (a stale row's refresh, a webhook's refetch, the success page's sync); they may use the
 * whole budget. `default`: everything else, which leaves `rateLimitReserveForRefreshes` of the
 * budget to them.
 */
export type StripeRequestLane = 'refresh' | 'default';

// A scope rather than an argument: stripe-node passes no per-call context down to its HTTP client.
const lane = new AsyncLocalStorage<StripeRequestLane>();

/**
 * Runs `fn` with every Stripe request it starts (retries included) in the `refresh` lane, the one
 * the reserve of the budget is kept for. Use it only for reads whose answer decides access now.
 *
 * @example
 * const subscription = await inRefreshLane(() => stripe.subscriptions.retrieve(id));
 */
export function inRefreshLane<T>(fn: () => T): T {
  return lane.run('refresh', fn);
}

/** The lane of the request being made now. */
export function currentStripeRequestLane(): StripeRequestLane {
  return lane.getStore() ?? 'default';
}
