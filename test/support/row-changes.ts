import type { INestApplicationContext } from '@nestjs/common';
import { entitlementCacheCaughtUp, subscriptionRowsChanged } from '@litestripe/nestjs/testing';

/**
 * Resolves when the app has been told that `accountRef`'s rows changed, or with `'every account'`
 * that every account's did (a TRUNCATE): the notification itself, not a timer. Call it before the
 * change, so the announcement cannot be missed.
 */
export function announced(app: INestApplicationContext, accountRef: string | 'every account'): Promise<void> {
  return subscriptionRowsChanged(app, accountRef);
}

/**
 * Resolves once the app's listen connection has received every change committed so far. Await it
 * before a lookup that a test expects to be cached: the notification of an earlier commit arriving
 * while the lookup reads would (rightly) keep its rows out of the cache.
 */
export function caughtUp(app: INestApplicationContext): Promise<void> {
  return entitlementCacheCaughtUp(app);
}
