import { DomainEventOutboxEntry } from './domain-event-outbox.entity.js';
import { OutboxPublication } from './outbox-publication.entity.js';
import { OrphanedPayment } from './orphaned-payment.entity.js';
import { StripeEventLog } from './stripe-event-log.entity.js';
import { StripeSubscription } from './stripe-subscription.entity.js';
import { StripeCustomer } from './stripe-customer.entity.js';
import { UsageCounter } from './usage-counter.entity.js';
import { UsageRecord } from './usage-record.entity.js';
import { MeterEventReport } from './meter-event-report.entity.js';
import { OneTimePurchase } from './one-time-purchase.entity.js';
import { CreditBalance } from './credit-balance.entity.js';
import { CustomerFeatures } from './customer-features.entity.js';
import { Guest } from './guest.entity.js';
import { GuestAccessToken } from './guest-access-token.entity.js';

export { DomainEventOutboxEntry, OutboxPublication, OrphanedPayment, StripeEventLog, StripeSubscription, StripeCustomer, UsageCounter, UsageRecord, MeterEventReport, OneTimePurchase, CreditBalance, CustomerFeatures, Guest, GuestAccessToken };
export type { PurchasePaymentStatus } from './one-time-purchase.entity.js';
export type { OrphanReason } from './orphaned-payment.entity.js';
export type { EventOutcome } from './stripe-event-log.entity.js';
export type { SubscriptionStatus, PauseBehavior, SubscriptionMetadata } from './stripe-subscription.entity.js';

/** The module's entities, for hosts that list entities by hand instead of `autoLoadEntities`. */
export const LITESTRIPE_ENTITIES = [StripeSubscription, OrphanedPayment, StripeEventLog, DomainEventOutboxEntry, OutboxPublication, StripeCustomer, UsageCounter, UsageRecord, MeterEventReport, OneTimePurchase, CreditBalance, CustomerFeatures, Guest, GuestAccessToken];
