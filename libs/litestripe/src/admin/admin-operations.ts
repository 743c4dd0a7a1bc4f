import { BadGatewayException, BadRequestException, GoneException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { accountSubscriptions, Entitlement } from '../access/account-entitlement.js';
import type { AccessDecision } from '../access/entitlement-rules.js';
import { SubscriptionService } from '../access/subscription.service.js';
import { BillingService } from '../billing/billing.service.js';
import { isWellFormedAccountReference } from '../common/account-reference.js';
import { describeError } from '../common/describe-error.js';
import { isGuestReference } from '../common/guest-reference.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { DomainEventOutboxEntry } from '../entities/domain-event-outbox.entity.js';
import type { Guest } from '../entities/guest.entity.js';
import type { OrphanedPayment } from '../entities/orphaned-payment.entity.js';
import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { OutboxService, OutboxStatus } from '../events/outbox/outbox.service.js';
import { OutboxPublication } from '../entities/outbox-publication.entity.js';
import { IN_PROCESS_DESTINATION } from '../config/brokers-options.validator.js';
import { GuestRecords } from '../guests/guest.records.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { SubscriptionSyncService } from '../sync/subscription-sync.service.js';
import type { SyncSummary } from '../sync/sync-summary.js';
import { WebhookInboxService } from '../webhook/inbox/webhook-inbox.service.js';
import { DeliveryOutcome, WebhookEventProcessor } from '../webhook/webhook-event.processor.js';
import { AdminEventLog, LoggedEvent } from './admin-event-log.js';

const LIST_LIMIT = 100;
const TIMELINE_LIMIT = 200;
const STRIPE_ID = /^(sub|cus)_[A-Za-z0-9]{1,250}$/;
export const EVENT_ID = /^evt_[A-Za-z0-9]{1,250}$/;

/** What a lookup found: the rows, each with its access decision, each account's entitlement, and the events that shaped them. */
export interface AdminLookup {
  query: string;
  kind: 'account' | 'customer' | 'subscription';
  accounts: Entitlement[];
  subscriptions: { subscription: StripeSubscription; plan: string | null; access: AccessDecision }[];
  events: LoggedEvent[];
}

/** What `POST api/sync` syncs. */
export interface SyncTarget {
  kind: 'subscription' | 'customer';
  id: string;
}

/** One destination of the outbox as the admin shows it: its status and failed entries. */
export interface OutboxDestinationView {
  status: OutboxStatus;
  failed: OutboxEntryView[];
}

/** A failed outbox entry as the admin lists it (never its payload). */
export interface OutboxEntryView {
  id: string;
  name: string;
  stripeEventId: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  failedAt: Date | null;
}

/**
 * What the admin pages do, over the module's own services: it lives in LitestripeModule, where
 * those are, and `LitestripeAdminModule` reaches it from the host's app.
 */
@Injectable()
export class AdminOperations {
  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly entitlement: ResolvedEntitlementOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectStripeClient() private readonly stripe: Stripe,
    private readonly subscriptions: SubscriptionService,
    private readonly billing: BillingService,
    private readonly outbox: OutboxService,
    private readonly inbox: WebhookInboxService,
    private readonly sync: SubscriptionSyncService,
    private readonly guests: GuestRecords,
    private readonly events: AdminEventLog,
    private readonly processor: WebhookEventProcessor,
  ) {}

  /** An account reference, a customer (`cus_…`) or a subscription (`sub_…`). */
  async lookup(query: unknown): Promise<AdminLookup> {
    const q = typeof query === 'string' ? query.trim() : '';
    const kind = q.startsWith('sub_') ? 'subscription' : q.startsWith('cus_') ? 'customer' : 'account';
    if (kind === 'account' ? !isWellFormedAccountReference(q) && !isGuestReference(q) : !STRIPE_ID.test(q)) {
      throw new BadRequestException(`Look up an account reference, a customer (cus_…) or a subscription (sub_…); got ${JSON.stringify(q.slice(0, 100))}.`);
    }
    const column = kind === 'subscription' ? 'id' : kind === 'customer' ? 'customerId' : 'accountRef';
    const rows = await this.dataSource.getRepository(StripeSubscription).find({
      where: { [column]: q, livemode: this.entitlement.livemode },
      order: { createdAt: 'DESC' },
      take: LIST_LIMIT,
    });
    const now = this.entitlement.clock.now();
    const accountRefs = [...new Set([...(kind === 'account' ? [q] : []), ...rows.flatMap((row) => (row.accountRef ? [row.accountRef] : []))])];
    const customers = [...new Set([...(kind === 'customer' ? [q] : []), ...rows.flatMap((row) => (row.customerId ? [row.customerId] : []))])];
    const subscriptionIds = [...new Set([...(kind === 'subscription' ? [q] : []), ...rows.map((row) => row.id)])];
    const [accounts, events] = await Promise.all([
      Promise.all(accountRefs.map((ref) => this.subscriptions.getEntitlement(ref))),
      this.events.timeline(subscriptionIds, customers, TIMELINE_LIMIT),
    ]);
    const decided = accountSubscriptions(rows, now, this.entitlement.policy, this.entitlement.catalog);
    return { query: q, kind, accounts, subscriptions: decided.map(({ subscription, plan, access }) => ({ subscription, plan, access })), events };
  }

  listEvents(filter: 'recent' | 'failed'): Promise<LoggedEvent[]> {
    return filter === 'failed' ? this.events.failed(LIST_LIMIT) : this.events.recent(LIST_LIMIT);
  }

  /**
   * Fetches a failed event from Stripe (the log keeps no payload) and takes it through the webhook
   * pipeline again. An event no longer failed is left alone: replaying twice changes nothing.
   */
  async replayEvent(id: string): Promise<{ id: string; replayed: boolean; outcome: DeliveryOutcome | LoggedEvent['outcome'] }> {
    const logged = await this.events.byId(id);
    if (!logged) throw new NotFoundException(`No event ${id} in the event log.`);
    if (logged.outcome !== 'failed') return { id, replayed: false, outcome: logged.outcome };
    let event: Stripe.Event;
    try {
      event = await this.stripe.events.retrieve(id);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) {
        throw new GoneException(`Stripe no longer has event ${id} (it keeps events for 30 days): sync its subscription or customer instead.`);
      }
      throw new BadGatewayException(`Stripe did not give event ${id}: ${describeError(error)}`);
    }
    return { id, replayed: true, outcome: await this.processor.process(event) };
  }

  /** The in-process bus's status and failed entries (`status`, `failed`), and each broker's (`brokers`). */
  async outboxView(): Promise<OutboxDestinationView & { brokers: (OutboxDestinationView & { destination: string })[] }> {
    const [local, ...brokers] = await Promise.all(this.outbox.destinations.map((destination) => this.outboxDestinationView(destination)));
    return { ...local, brokers };
  }

  /** Makes a failed entry due again at a destination and sends it; says whether it was failed and whether it is delivered there now. */
  async retryOutbox(id: string, destination: string = IN_PROCESS_DESTINATION): Promise<{ id: string; destination: string; retried: boolean; delivered: boolean }> {
    if (!this.outbox.destinations.includes(destination)) {
      throw new BadRequestException(`${JSON.stringify(destination.slice(0, 100))} is not a destination of the outbox (known: ${this.outbox.destinations.join(', ')}).`);
    }
    const entry = await this.dataSource.getRepository(DomainEventOutboxEntry).findOneBy({ id });
    if (!entry) throw new NotFoundException(`No outbox entry ${id}.`);
    const retried = (await this.outbox.retryFailed([id], destination)) > 0;
    const delivered = destination === IN_PROCESS_DESTINATION
      ? (await this.dataSource.getRepository(DomainEventOutboxEntry).findOneBy({ id }))?.deliveredAt != null
      : (await this.dataSource.getRepository(OutboxPublication).findOneBy({ outboxId: id, destination }))?.deliveredAt != null;
    return { id, destination, retried, delivered };
  }

  private async outboxDestinationView(destination: string): Promise<OutboxDestinationView & { destination: string }> {
    const [status, failed] = await Promise.all([this.outbox.status(destination), this.outbox.listFailed(LIST_LIMIT, destination)]);
    return { destination, status, failed: failed.map(outboxEntryView) };
  }

  async inboxView(): Promise<{ status: Awaited<ReturnType<WebhookInboxService['status']>>; failed: Awaited<ReturnType<WebhookInboxService['listFailed']>> }> {
    const [status, failed] = await Promise.all([this.inbox.status(), this.inbox.listFailed({ limit: LIST_LIMIT })]);
    return { status, failed };
  }

  /** Queues a failed inbox event again; one that failed inline (nothing kept) is not queued: replay it from Stripe. */
  async retryInbox(id: string): Promise<{ id: string; queued: boolean }> {
    const queued = await this.inbox.retryFailed([id]);
    return { id, queued: queued.includes(id) };
  }

  /** Open orphaned payments and unlinked guest purchases, with their emails: the one place they are shown. */
  async unclaimed(): Promise<{ orphans: OrphanedPayment[]; guests: Guest[] }> {
    const [orphans, guests] = await Promise.all([this.billing.listOrphanedPayments({ limit: LIST_LIMIT }), this.guests.list({ unlinkedOnly: true, limit: LIST_LIMIT })]);
    return { orphans, guests };
  }

  async claimOrphan(orphanId: number, accountRef: string): Promise<{ orphanId: number; subscriptionId: string; accountRef: string; alreadyClaimed: boolean }> {
    const claim = await this.billing.claimOrphanedPayment(orphanId, accountRef);
    return { orphanId, subscriptionId: claim.subscription.id, accountRef, alreadyClaimed: claim.alreadyClaimed };
  }

  async claimGuest(guestId: string, accountRef: string): Promise<{ guestId: string; subscriptionId: string; accountRef: string; alreadyLinked: boolean }> {
    const link = await this.billing.linkGuestById(guestId, accountRef);
    return { guestId, subscriptionId: link.subscription.id, accountRef, alreadyLinked: link.alreadyLinked };
  }

  /** One subscription or one customer, as Stripe has it now: the CLI's `sync subscription` / `sync customer`. */
  syncFromStripe(target: SyncTarget): Promise<SyncSummary> {
    return target.kind === 'subscription' ? this.sync.syncSubscription(target.id) : this.sync.syncCustomer(target.id);
  }
}

function outboxEntryView(entry: DomainEventOutboxEntry): OutboxEntryView {
  return { id: entry.id, name: entry.name, stripeEventId: entry.stripeEventId, attempts: entry.attempts, lastError: entry.lastError, createdAt: entry.createdAt, failedAt: entry.failedAt };
}
