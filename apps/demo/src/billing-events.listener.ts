import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  CheckoutCompletedEvent,
  guestIdOf,
  GuestLinkedEvent,
  LitestripeEvents,
  OrphanClaimedEvent,
  PaymentEvent,
  PaymentOrphanedEvent,
  PurchaseEvent,
  PurchaseGrant,
  PurchaseRevokedEvent,
  StripeFeaturesUpdatedEvent,
  StripeSubscription,
  SubscriptionChangedEvent,
} from '@litestripe/nestjs';

/**
 * What a host does with the module's domain events; here, one timeline line each. A guest's
 * subscription is keyed `guest:<guestId>`: its lines say "guest <id>" (never its email or token).
 */
@Injectable()
export class BillingEventsListener {
  private readonly logger = new Logger('Billing');

  @OnEvent(LitestripeEvents.CheckoutCompleted)
  checkoutCompleted(e: CheckoutCompletedEvent) {
    this.line('checkout completed', `${e.checkoutSessionId} → ${account(e.accountRef)}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionCreated)
  created(e: SubscriptionChangedEvent) {
    this.line('subscription created', `${label(e.subscription)}, ${e.subscription.status}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionUpdated)
  updated(e: SubscriptionChangedEvent) {
    const s = e.subscription;
    this.line('subscription updated', `${label(s)}, ${e.previousStatus} → ${s.status}, period ends ${day(s.currentPeriodEnd)}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionActivated)
  activated(e: SubscriptionChangedEvent) {
    this.line('access granted', `${account(e.subscription.accountRef)} may use premium`);
  }

  @OnEvent(LitestripeEvents.SubscriptionDeactivated)
  deactivated(e: SubscriptionChangedEvent) {
    // A link that moved (an orphan claim, a relink, a guest linked) revokes the previous holder's access.
    const holder = e.previousAccountRef ?? e.subscription.accountRef;
    const why = e.previousAccountRef ? `moved to ${account(e.subscription.accountRef)}` : `${e.previousStatus} → ${e.subscription.status}`;
    this.line('access revoked', `${account(holder)} (${why})`);
  }

  @OnEvent(LitestripeEvents.SubscriptionCanceled)
  canceled(e: SubscriptionChangedEvent) {
    const s = e.subscription;
    this.line('cancellation scheduled', `${label(s)} ends ${day(s.cancelAtPeriodEnd ? s.currentPeriodEnd : s.cancelAt)}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionDeleted)
  deleted(e: SubscriptionChangedEvent) {
    this.line('subscription ended', `${label(e.subscription)} on ${day(e.subscription.endedAt)}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionPaused)
  paused(e: SubscriptionChangedEvent) {
    this.line('subscription paused', label(e.subscription));
  }

  @OnEvent(LitestripeEvents.SubscriptionResumed)
  resumed(e: SubscriptionChangedEvent) {
    this.line('subscription resumed', `${label(e.subscription)}, ${e.subscription.status}`);
  }

  @OnEvent(LitestripeEvents.SubscriptionTrialWillEnd)
  trialWillEnd(e: SubscriptionChangedEvent) {
    this.line('trial ends soon', `${label(e.subscription)} on ${day(e.subscription.trialEnd)}`);
  }

  @OnEvent(LitestripeEvents.PaymentSucceeded)
  paid(e: PaymentEvent) {
    this.line('payment succeeded', `${e.invoiceId}, ${money(e)} for ${label(e.subscription)}`);
  }

  @OnEvent(LitestripeEvents.PaymentFailed)
  paymentFailed(e: PaymentEvent) {
    this.line('payment failed', `${e.invoiceId}, ${money(e)} for ${label(e.subscription)}`);
  }

  @OnEvent(LitestripeEvents.PaymentOrphaned)
  orphaned(e: PaymentOrphanedEvent) {
    this.line('orphaned payment', `#${e.orphanedPaymentId} from checkout ${e.checkoutSessionId} (${e.reason}): support must link it`);
  }

  @OnEvent(LitestripeEvents.OrphanClaimed)
  orphanClaimed(e: OrphanClaimedEvent) {
    this.line('orphan claimed', `#${e.orphanedPaymentId} → account ${e.accountRef} (${e.subscriptionId})`);
  }

  @OnEvent(LitestripeEvents.GuestLinked)
  guestLinked(e: GuestLinkedEvent) {
    this.line('guest linked', `guest ${e.guestId} → account ${e.accountRef} (${e.subscriptionId}, by ${e.via})`);
  }

  @OnEvent(LitestripeEvents.PurchaseCompleted)
  purchased(e: PurchaseEvent) {
    this.line('purchase completed', `${e.paymentRef}, ${money(e)} → ${account(e.accountRef)}: ${grant(e.grant)}`);
  }

  @OnEvent(LitestripeEvents.PurchaseFailed)
  purchaseFailed(e: PurchaseEvent) {
    this.line('purchase failed', `${e.paymentRef} of ${account(e.accountRef)}: nothing granted`);
  }

  @OnEvent(LitestripeEvents.PurchaseRevoked)
  purchaseRevoked(e: PurchaseRevokedEvent) {
    this.line('purchase revoked', `${e.paymentRef} of ${account(e.accountRef)} (${e.reason.replace('_', ' ')}): ${grant(e.revoked)} taken back`);
  }

  @OnEvent(LitestripeEvents.StripeFeaturesUpdated)
  featuresUpdated(e: StripeFeaturesUpdatedEvent) {
    this.line('stripe features', `${e.customerId} (${e.accountRefs.map(account).join(', ') || 'no account'}): ${list(e.previousFeatures)} → ${list(e.features)}`);
  }

  private line(what: string, details: string): void {
    this.logger.log(`${what.padEnd(22)} ${details}`);
  }
}

function label(s: StripeSubscription): string {
  return s.accountRef ? `${s.id} (${account(s.accountRef)})` : s.id;
}

function day(date: Date | null): string {
  return date ? date.toISOString().slice(0, 10) : '?';
}

function account(accountRef: string | null | undefined): string {
  if (!accountRef) return 'no account';
  const guestId = guestIdOf(accountRef);
  return guestId ? `guest ${guestId}` : `account ${accountRef}`;
}

function grant(g: PurchaseGrant): string {
  const parts = [...g.lifetimePlans.map((plan) => `${plan} for life`), ...Object.entries(g.credits).map(([metric, n]) => `${n} ${metric} credits`)];
  return parts.join(', ') || 'nothing';
}

function list(features: string[]): string {
  return features.length ? features.join(', ') : 'none';
}

function money(e: { amount: number | null; currency: string | null }): string {
  return e.amount === null ? 'amount unknown' : `${(e.amount / 100).toFixed(2)} ${(e.currency ?? '').toUpperCase()}`;
}
