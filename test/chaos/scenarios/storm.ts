import type Stripe from 'stripe';
import { SubscriptionScenario, T0 } from '../../support/scenario';
import { eventRow } from '../support/checks';
import { POISON_REFERENCE, startCluster, WEBHOOK_SECRET } from '../support/cluster';
import { HostInbox } from '../support/host-process';
import { WebhookMode } from '../support/mode';
import { buildModel, Model } from '../support/model';
import { chaosSeed, seededRandom } from '../support/random';
import { SendReport, Sender } from '../support/sender';
import { insertDelivery, planStream, Stream } from '../support/stream';
import { settle, Settled } from './settle';

/**
 * Storm: ~10,000 distinct events of 300 subscriptions, 20% delivered twice and 10% held back past
 * later events, over 50 keep-alive connections to two instances sharing one database. The
 * listener fails 2% of its calls (before recording), so outbox retries run alongside.
 *
 * Mid-stream comes one poisoned event outside the model: a completed checkout whose
 * `client_reference_id` the hosts' `validateClientReference` always throws for. Inline, every
 * attempt answers 500 (the sender gives up after POISON_ATTEMPTS, as Stripe does after three days);
 * deferred, it is answered `queued` and the appliers retry it until it is kept as failed. Either
 * way it is the only event not applied, and the host's `WebhookInboxService` lists it.
 */
export interface StormResult {
  mode: WebhookMode;
  model: Model;
  stream: Stream;
  report: SendReport;
  settled: Settled;
  poison: PoisonResult;
  /** Each host still the process it was started as. */
  hostsUp: boolean;
  seconds: number;
}

export interface PoisonResult {
  id: string;
  /** Its answers: `500` each time inline, `200 queued` deferred. */
  answers: string[];
  /** Its row in the event log once settled. */
  row: { outcome: string; attempts: number; lastError: string | null } | null;
  /** What a host's `WebhookInboxService` says once settled: `status()` and `listFailed()`. */
  inbox: HostInbox;
}

/** Deliveries of the poisoned event before the sender gives up on it (inline: each one a 500). */
export const POISON_ATTEMPTS = 4;

export async function runStorm(mode: WebhookMode): Promise<StormResult> {
  const begin = Date.now();
  const random = seededRandom(chaosSeed());
  const model = buildModel({ subscriptions: 300, events: Number(process.env.CHAOS_STORM_EVENTS ?? 10_000), orphanEvery: 20, random });
  const stream = planStream(model, { duplicateRatio: 0.2, reorderRatio: 0.11, random });
  const poisoned = poisonedCheckout();
  insertDelivery(stream, { event: poisoned, subscription: -1, duplicate: false, tag: 'poison', maxAttempts: POISON_ATTEMPTS }, 0.5);
  const cluster = await startCluster('storm', { mode, instances: 2, env: { CHAOS_LISTENER_FAIL_RATE: '0.02' } });
  try {
    const sender = new Sender(cluster.targets, { concurrency: 50, secret: WEBHOOK_SECRET, deadlineMs: 150_000 });
    const report = await sender.send(stream.deliveries);
    sender.close();
    const settled = await settle(cluster.databaseUrl, model, mode);
    const poison: PoisonResult = {
      id: poisoned.id,
      answers: report.tagged.poison ?? [],
      row: await eventRow(cluster.databaseUrl, poisoned.id),
      inbox: await cluster.hosts[0].inbox(),
    };
    const hostsUp = cluster.hosts.every((host) => host.alive && host.starts === 1);
    return { mode, model, stream, report, settled, poison, hostsUp, seconds: (Date.now() - begin) / 1000 };
  } finally {
    await cluster.close();
  }
}

/** A genuine completed checkout of a subscription outside the model, naming the poisoned account. */
function poisonedCheckout(): Stripe.Event {
  const s = new SubscriptionScenario('current');
  const created = T0 - 400 * 86_400;
  return s.checkout({ clientReferenceId: POISON_REFERENCE, email: null, created }, created + 1);
}
