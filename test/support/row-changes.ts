import type { INestApplicationContext } from '@nestjs/common';
import { SubscriptionChangesListener } from '@litestripe/nestjs/access/subscription-changes.listener';
import { SubscriptionRowChanges } from '@litestripe/nestjs/common/subscription-row-changes';

/**
 * Resolves when the app has been told that `accountRef`'s rows changed, or with `'every account'`
 * that every account's did (a TRUNCATE): the notification itself, not a timer. Call it before the
 * change, so the announcement cannot be missed.
 */
export function announced(app: INestApplicationContext, accountRef: string | 'every account'): Promise<void> {
  const changes = app.get(SubscriptionRowChanges, { strict: false });
  return new Promise((resolve) => {
    const stop = changes.subscribe((change) => {
      const names = 'everyAccount' in change ? accountRef === 'every account' : change.accountRefs.includes(accountRef);
      if (!names) return;
      stop();
      resolve();
    });
  });
}

/**
 * Resolves once the app's listen connection has received every change committed so far. Await it
 * before a lookup that a test expects to be cached: the notification of an earlier commit arriving
 * while the lookup reads would (rightly) keep its rows out of the cache.
 */
export function caughtUp(app: INestApplicationContext): Promise<void> {
  return app.get(SubscriptionChangesListener, { strict: false }).caughtUp();
}
