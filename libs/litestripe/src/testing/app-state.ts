import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EntitlementCache } from '../access/entitlement.cache.js';
import { SubscriptionChangesListener } from '../access/subscription-changes.listener.js';
import { SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import { LITESTRIPE_ENTITIES } from '../entities/index.js';
import type { FakeStripe } from './fake-stripe/fake-stripe.server.js';

/**
 * Test helpers for a host app that imports `LitestripeModule`. Each takes the app (or the
 * `TestingModule`) and finds the module's providers in it. All are asynchronous: await them.
 */

export interface ResetLitestripeOptions {
  /**
   * Also reset this fake Stripe: once the deliveries it queued for its webhook endpoint have been
   * attempted (so none lands after the reset), it forgets customers, subscriptions, invoices,
   * events, requests, faults and its clock offset (`fake.reset()`).
   */
  fake?: FakeStripe;
  /** Keep the fake's products and prices (seed them once, before the app boots). @default true */
  keepCatalog?: boolean;
}

/**
 * Puts the app's litestripe state back to empty between tests: every litestripe table emptied
 * ({@link truncateLitestripeTables}), the entitlement cache emptied once the app has received the
 * notification of that ({@link resetEntitlementCache}), and `options.fake` reset. Resolves only when
 * all of it is done, so the next test starts clean: await it.
 *
 * Another app on the same database (a second instance in a test of several) keeps its cache: await
 * `resetEntitlementCache(otherApp)` after this.
 *
 * @example
 * afterEach(() => resetLitestripe(app, { fake }));
 */
export async function resetLitestripe(app: INestApplicationContext, options: ResetLitestripeOptions = {}): Promise<void> {
  const fake = options.fake;
  if (fake) {
    await fake.flushWebhooks();
    fake.reset({ keepCatalog: options.keepCatalog ?? true });
  }
  await truncateLitestripeTables(app.get(DataSource, { strict: false }));
  await resetEntitlementCache(app);
}

/**
 * Empties every table of the module (`TRUNCATE ... RESTART IDENTITY`), the tables named by the
 * DataSource's metadata of `LITESTRIPE_ENTITIES`. The apps' entitlement caches are not told at once:
 * prefer {@link resetLitestripe}, or await {@link resetEntitlementCache} for each app after this.
 * A deadlock with a running app's own queries is retried. Await it.
 */
export async function truncateLitestripeTables(dataSource: DataSource): Promise<void> {
  const tables = LITESTRIPE_ENTITIES.map((entity) => {
    const metadata = dataSource.getMetadata(entity);
    return [metadata.schema, metadata.tableName]
      .filter((part): part is string => !!part)
      .map((part) => dataSource.driver.escape(part))
      .join('.');
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await dataSource.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`);
      return;
    } catch (error) {
      // A running app's poller can hold one of the tables while it waits for another (a broker's
      // lease updates publications, then reads the outbox); the TRUNCATE locks them the other way
      // round, and PostgreSQL may pick it as the deadlock's victim. It changed nothing: try again.
      if (!isDeadlock(error) || attempt === TRUNCATE_ATTEMPTS) throw error;
    }
  }
}

const TRUNCATE_ATTEMPTS = 5;

function isDeadlock(error: unknown): boolean {
  const failed = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return failed?.code === '40P01' || failed?.driverError?.code === '40P01';
}

/**
 * Empties the app's entitlement cache once the app has received every change committed before the
 * call (the notification of a truncate included), so no late notification empties it again during
 * the next test, and no lookup begun earlier refills it with rows of before. Await it.
 */
export async function resetEntitlementCache(app: INestApplicationContext): Promise<void> {
  await entitlementCacheCaughtUp(app);
  app.get(EntitlementCache, { strict: false }).clear();
}

/**
 * Resolves once the app's entitlement cache has received every change committed so far, by any
 * instance (PostgreSQL sends a listening session its pending notifications before the answer to its
 * next query). Await it between a write (a webhook, a `TRUNCATE`, a write of another app) and a
 * read that a test expects to be cached: a notification of the earlier commit arriving during the
 * read would (rightly) keep its rows out of the cache. At once when the cache does not listen
 * (embedded PGlite, `entitlementCache: false`, the connection is down: then it is bypassed).
 *
 * @example
 * await request(server).post(webhookUrl).set(headers).send(body);
 * await entitlementCacheCaughtUp(app);
 * await subscriptions.isEntitled('acct_1'); // read, then cached
 */
export function entitlementCacheCaughtUp(app: INestApplicationContext): Promise<void> {
  return app.get(SubscriptionChangesListener, { strict: false }).caughtUp();
}

/**
 * Resolves when the app has been told that `accountRef`'s subscription rows changed (by its own write
 * or, through PostgreSQL, any instance's), or with `'every account'` that every account's did (a
 * `TRUNCATE`): the announcement itself, not a timer. Call it before the change, so the announcement
 * cannot be missed, and await it after.
 *
 * @example
 * const changed = subscriptionRowsChanged(app, 'acct_1');
 * await otherInstance.deliver(event);
 * await changed;
 */
export function subscriptionRowsChanged(app: INestApplicationContext, accountRef: string | 'every account'): Promise<void> {
  const changes = app.get(SubscriptionRowChanges, { strict: false });
  return new Promise<void>((resolve) => {
    const stop = changes.subscribe((change) => {
      const names = 'everyAccount' in change ? accountRef === 'every account' : change.accountRefs.includes(accountRef);
      if (!names) return;
      stop();
      resolve();
    });
  });
}
