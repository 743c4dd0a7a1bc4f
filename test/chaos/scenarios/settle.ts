import { checkDeliveries, compareRows, DeliveryCheck, eventOutcomes, orphanEmails, RowCheck, waitForOutboxDrained } from '../support/checks';
import { Model } from '../support/model';

/** Where a scenario's database ended up once every delivery got its 2xx and the outbox drained. */
export interface Settled {
  /** Outbox entries still undelivered after the wait. */
  openOutbox: number;
  rows: RowCheck;
  deliveries: DeliveryCheck;
  /** litestripe_event outcomes of the distinct Stripe events. */
  outcomes: Record<string, number>;
  orphanEmails: string[];
  expectedOrphanEmails: string[];
}

export async function settle(databaseUrl: string, model: Model, drainTimeoutMs = 30_000): Promise<Settled> {
  const openOutbox = await waitForOutboxDrained(databaseUrl, drainTimeoutMs);
  return {
    openOutbox,
    rows: await compareRows(databaseUrl, model),
    deliveries: await checkDeliveries(databaseUrl),
    outcomes: await eventOutcomes(databaseUrl),
    orphanEmails: await orphanEmails(databaseUrl),
    expectedOrphanEmails: model.subscriptions.flatMap((s) => (s.orphanEmail ? [s.orphanEmail] : [])).sort(),
  };
}
