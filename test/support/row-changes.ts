import type { INestApplicationContext } from '@nestjs/common';
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
