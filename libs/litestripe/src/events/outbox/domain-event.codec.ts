import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { StripeSubscription } from '../../entities/stripe-subscription.entity.js';
import {
  CheckoutCompletedEvent,
  OrphanClaimedEvent,
  GuestLinkedEvent,
  PaymentEvent,
  PaymentOrphanedEvent,
  PurchaseEvent,
  PurchaseRevokedEvent,
  StripeEventRef,
  StripeFeaturesUpdatedEvent,
  SubscriptionChangedEvent,
  SubscriptionChangedEventName,
  SubscriptionLinkConflictEvent,
} from '../litestripe-event.payloads.js';
import { LitestripeEvents } from '../litestripe-events.js';

type Json = Record<string, any>;

/**
 * Turns an outbox entry's JSON back into the payload class its listeners expect, with dates as
 * `Date`s, so a redispatched event looks exactly like the first dispatch.
 */
@Injectable()
export class DomainEventCodec {
  private readonly dateFields: string[];

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.dateFields = dataSource
      .getMetadata(StripeSubscription)
      .columns.filter((column) => column.type === 'timestamptz' || column.isCreateDate || column.isUpdateDate)
      .map((column) => column.propertyName);
  }

  revive(name: string, json: Json): unknown {
    const stripeEvent = json.stripeEvent ? reviveStripeEvent(json.stripeEvent) : undefined;
    if (!stripeEvent) return json;
    switch (name) {
      case LitestripeEvents.CheckoutCompleted:
        return new CheckoutCompletedEvent(json.id, json.checkoutSessionId, this.subscription(json.subscription), json.accountRef, stripeEvent);
      case LitestripeEvents.PaymentSucceeded:
      case LitestripeEvents.PaymentFailed:
        return new PaymentEvent(name, json.id, json.invoiceId, this.subscription(json.subscription), json.amount, json.currency, stripeEvent);
      case LitestripeEvents.PaymentOrphaned:
        return new PaymentOrphanedEvent(json.id, json.orphanedPaymentId, json.checkoutSessionId, json.subscriptionId, json.customerId, json.reason, stripeEvent);
      case LitestripeEvents.OrphanClaimed:
        return new OrphanClaimedEvent(json.id, json.orphanedPaymentId, json.checkoutSessionId, json.subscriptionId, json.accountRef, stripeEvent);
      case LitestripeEvents.GuestLinked:
        return new GuestLinkedEvent(json.id, json.guestId, json.checkoutSessionId, json.subscriptionId, json.accountRef, json.via, stripeEvent);
      case LitestripeEvents.PurchaseCompleted:
      case LitestripeEvents.PurchaseFailed:
        return new PurchaseEvent(name, json.id, json.paymentRef, json.checkoutSessionId, json.accountRef, json.grant, json.amount, json.currency, stripeEvent);
      case LitestripeEvents.PurchaseRevoked:
        return new PurchaseRevokedEvent(json.id, json.paymentRef, json.accountRef, json.reason, json.revoked, json.amountRefunded, json.currency, stripeEvent);
      case LitestripeEvents.StripeFeaturesUpdated:
        return new StripeFeaturesUpdatedEvent(json.id, json.customerId, json.accountRefs, json.features, json.previousFeatures, stripeEvent);
      case LitestripeEvents.SubscriptionLinkConflict:
        return new SubscriptionLinkConflictEvent(json.id, this.subscription(json.subscription), json.accountRef, json.claimedAccountRef, json.source, json.checkoutSessionId, stripeEvent);
      default:
        if (name.startsWith('litestripe.subscription.')) {
          return new SubscriptionChangedEvent(name as SubscriptionChangedEventName, json.id, this.subscription(json.subscription), json.previousStatus, stripeEvent, json.previousAccountRef);
        }
        return json;
    }
  }

  private subscription(json: Json): StripeSubscription {
    const subscription = Object.assign(new StripeSubscription(), json);
    for (const field of this.dateFields) {
      const value = json[field];
      (subscription as unknown as Json)[field] = typeof value === 'string' ? new Date(value) : value;
    }
    return subscription;
  }
}

function reviveStripeEvent(json: Json): StripeEventRef {
  return new StripeEventRef(json.id, json.type, json.created, json.livemode, json.account);
}
