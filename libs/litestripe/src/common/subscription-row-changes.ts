import { Injectable } from '@nestjs/common';

/** The PostgreSQL channel on which the database announces committed subscription row changes (see the migration `LitestripeSubscriptionChanges`). */
export const SUBSCRIPTION_CHANGES_CHANNEL = 'litestripe_subscription_changed';

/** Accounts whose subscription rows changed, or every account (the table was truncated). */
export type SubscriptionRowChange = { accountRefs: readonly string[] } | { everyAccount: true };

export type SubscriptionRowChangeListener = (change: SubscriptionRowChange) => void;

/**
 * In-process announcements of committed subscription row changes: the writer announces its own
 * commits at once (read-your-writes on this instance, and the whole story with embedded PGlite),
 * and the database listener relays what every instance commits. The entitlement cache listens.
 */
@Injectable()
export class SubscriptionRowChanges {
  private readonly listeners = new Set<SubscriptionRowChangeListener>();

  /** Returns the function that stops listening. */
  subscribe(listener: SubscriptionRowChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  announce(change: SubscriptionRowChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
