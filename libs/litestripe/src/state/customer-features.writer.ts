import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../common/query-rows.js';
import { sameValue } from '../common/same-value.js';
import { DomainEventPublisher } from '../events/domain-event.publisher.js';
import { domainEventId, PendingDomainEvent, StripeEventRef, StripeFeaturesUpdatedEvent } from '../events/litestripe-event.payloads.js';
import { LitestripeEvents } from '../events/litestripe-events.js';
import { CommittedChangesAnnouncer } from './committed-changes.announcer.js';
import { apiEventRef } from './api-event-ref.js';
import { objectOf, StripePayload, stringOf } from './stripe-payload.js';

/** What Stripe said of a customer's active entitlements, and when. */
export interface CustomerFeatureFacts {
  customerId: string;
  livemode: boolean;
  /** Lookup keys of the customer's active entitlements (any order, repeats allowed). */
  lookupKeys: string[];
  /** Unix seconds: Stripe's `created` of the event, or the time of Stripe's answer to a listing. */
  eventCreated: number;
}

/**
 * The lookup key of an active entitlement, in any API version: `lookup_key` on the entitlement,
 * else on its feature when that is expanded. Null when it carries none.
 */
export function entitlementLookupKey(entitlement: unknown): string | null {
  const object = objectOf(entitlement);
  if (!object) return null;
  return stringOf(object.lookup_key) ?? stringOf(objectOf((object as StripePayload).feature)?.lookup_key);
}

/**
 * The one writer of `litestripe_customer_feature` (webhooks and sync): locks the customer's row
 * (creating it when the first word of Stripe arrives), keeps what the newest word said (an older
 * `eventCreated` never overwrites; within one second the later arrival wins), and when the keys
 * changed notes the accounts subscribed with that customer for this instance's cache and returns
 * `litestripe.features.updated`. The database trigger tells the other instances.
 */
@Injectable()
export class CustomerFeaturesWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly announcer: CommittedChangesAnnouncer,
    private readonly publisher: DomainEventPublisher,
  ) {}

  /** In the caller's transaction; the caller records and publishes the domain events it returns. */
  async write(manager: EntityManager, facts: CustomerFeatureFacts, stripeEvent: StripeEventRef): Promise<PendingDomainEvent[]> {
    const keys = [...new Set(facts.lookupKeys)].sort();
    const inserted = await queryRows(
      manager,
      `INSERT INTO litestripe_customer_feature ("customer_id", "livemode", "lookup_keys", "event_created") VALUES ($1, $2, $3::text[], $4)
       ON CONFLICT ("customer_id") DO NOTHING RETURNING 1`,
      [facts.customerId, facts.livemode, keys, facts.eventCreated],
    );
    let previous: string[] = [];
    if (inserted.length === 0) {
      const [row] = await queryRows<{ lookup_keys: string[]; event_created: string | number }>(
        manager,
        'SELECT "lookup_keys", "event_created" FROM litestripe_customer_feature WHERE "customer_id" = $1 FOR UPDATE',
        [facts.customerId],
      );
      if (facts.eventCreated < Number(row.event_created)) return [];
      previous = row.lookup_keys;
      if (sameValue(previous, keys) && facts.eventCreated === Number(row.event_created)) return [];
      await queryRows(
        manager,
        'UPDATE litestripe_customer_feature SET "lookup_keys" = $2::text[], "livemode" = $3, "event_created" = $4, "updated_at" = now() WHERE "customer_id" = $1',
        [facts.customerId, keys, facts.livemode, facts.eventCreated],
      );
    }
    if (sameValue(previous, keys)) return [];
    const refs = await queryRows<{ account_ref: string }>(
      manager,
      'SELECT DISTINCT account_ref FROM litestripe_subscription WHERE customer_id = $1 AND account_ref IS NOT NULL ORDER BY account_ref',
      [facts.customerId],
    );
    const accountRefs = refs.map((row) => row.account_ref);
    this.announcer.changed(manager, accountRefs);
    const name = LitestripeEvents.StripeFeaturesUpdated;
    return [{ name, payload: new StripeFeaturesUpdatedEvent(domainEventId(stripeEvent, name), facts.customerId, accountRefs, keys, previous, stripeEvent) }];
  }

  /**
   * What a listing of Stripe's API said (a sync), dated by Stripe's answer, in a transaction of its
   * own: records the domain event, publishes it after commit. Whether the keys changed. The domain
   * event's `stripeEvent` is the API request (`req_...`, type `api.sync`).
   */
  async writeListing(facts: CustomerFeatureFacts, requestId: string | null): Promise<boolean> {
    const stripeEvent = apiEventRef(requestId, facts.customerId, 'sync', facts.eventCreated, facts.livemode);
    const events = await this.dataSource.transaction(async (manager) => {
      const pending = await this.write(manager, facts, stripeEvent);
      await this.publisher.record(manager, pending, stripeEvent.id);
      return pending;
    });
    await this.publisher.publish(events, stripeEvent.id);
    return events.length > 0;
  }
}
