import type { AccountRequest } from './entitlement-options.interface.js';

/**
 * Guests: people who subscribe without an account (`BillingService.createGuestCheckoutSession`) and
 * are let in by an access token. Guest checkout and the token methods work without this option; it
 * tells the guard where a request carries a token, and how tokens are checked.
 *
 * @example
 * guests: { tokenFrom: { header: 'x-guest-token' }, tokenTtlDays: 365 }
 */
export interface GuestOptions {
  /**
   * Where `SubscriptionGuard` finds a guest's token when the request has no account: a request
   * header, or a cookie (read from `request.cookies` when a cookie parser ran, else from the
   * `Cookie` header). Left out, the guard admits accounts only.
   */
  tokenFrom?: { header: string } | { cookie: string };

  /** Days an access token stays valid; `null` keeps it until it is revoked or reissued. @default null */
  tokenTtlDays?: number | null;

  /**
   * Token guessing: how many unknown, revoked or expired tokens one client may present per window
   * before it is answered 429 for the rest of the window. Counted in `rateLimitStorage`, so
   * instances sharing a store share the count. `false` turns the limit off.
   * @default { limit: 10, windowSeconds: 60 }
   */
  tokenAttempts?: { limit?: number; windowSeconds?: number } | false;

  /**
   * The client a failed token is counted against. By default the request's IP as Nest resolves it
   * (`request.ip`: behind a proxy, set Express's `trust proxy` or Fastify's `trustProxy`).
   * @default (request) => request.ip
   */
  clientKey?: (request: AccountRequest) => string | null | undefined;
}
