/**
 * Where the module reads the current time. Every decision that depends on the date reads this one
 * clock: entitlement (trial, grace and period ends), staleness and refresh of rows, the sync
 * window, the signature timestamp checks of webhooks and retention. Give a clock you can set to move
 * all of them together (tests, a staging app that travels in time).
 */
export interface LitestripeClock {
  now(): Date;
}
