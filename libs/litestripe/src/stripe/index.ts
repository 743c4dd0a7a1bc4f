// The Stripe client's public API: its injection, its pinned API version, the refresh lane and the
// rate limiter's refusals; re-exported by the package's index.
export { InjectStripeClient, getStripeClientToken } from './stripe-client.decorator.js';
export { LITESTRIPE_STRIPE_API_VERSION } from './stripe-client.constants.js';
export { inRefreshLane } from './stripe-request-lane.js';
export { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
export { StripeRateLimitQueueFullError } from '../errors/stripe-rate-limit-queue-full.error.js';
export { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
