import { applyLag, checkDeliveries, compareRows, DeliveryCheck, eventOutcomes, orphanEmails, RowCheck, waitForInboxApplied, waitForOutboxDrained } from '../support/checks';
import { WebhookMode } from '../support/mode';
import { Model } from '../support/model';

/** Where a scenario's database ended up once every delivery got its 2xx, the inbox was applied and the outbox drained. */
export interface Settled {
  /** Inbox events still pending after the wait (deferred mode; always 0 inline). */
  pendingInbox: number;
  /** Outbox entries still undelivered after the wait. */
  openOutbox: number;
  rows: RowCheck;
  deliveries: DeliveryCheck;
  /** litestripe_event outcomes of the distinct Stripe events. */
  outcomes: Record<string, number>;
  orphanEmails: string[];
  expectedOrphanEmails: string[];
  /** From the webhook's write to the apply, ms (deferred: the applier's lag; inline: the transaction's length). */
  applyLagMs: { p50: number; p99: number };
}

/**
 * Waits for the scenario's database to settle, then reads it. Deferred, "settled" first means no
 * event pending in the inbox (the poisoned one ends failed once its attempts run out), since rows
 * and domain events only follow the apply.
 */
export async function settle(databaseUrl: string, model: Model, mode: WebhookMode, drainTimeoutMs = 30_000): Promise<Settled> {
  const pendingInbox = mode === 'deferred' ? await waitForInboxApplied(databaseUrl, 60_000) : 0;
  const openOutbox = await waitForOutboxDrained(databaseUrl, drainTimeoutMs);
  return {
    pendingInbox,
    openOutbox,
    rows: await compareRows(databaseUrl, model),
    deliveries: await checkDeliveries(databaseUrl),
    outcomes: await eventOutcomes(databaseUrl),
    orphanEmails: await orphanEmails(databaseUrl),
    expectedOrphanEmails: model.subscriptions.flatMap((s) => (s.orphanEmail ? [s.orphanEmail] : [])).sort(),
    applyLagMs: await applyLag(databaseUrl),
  };
}
