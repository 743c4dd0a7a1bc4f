import { DomainEventOutboxEntry } from './domain-event-outbox.entity.js';
import { OrphanedPayment } from './orphaned-payment.entity.js';
import { StripeEventLog } from './stripe-event-log.entity.js';
import { StripeSubscription } from './stripe-subscription.entity.js';
import { StripeCustomer } from './stripe-customer.entity.js';

export * from './domain-event-outbox.entity.js';
export * from './orphaned-payment.entity.js';
export * from './stripe-event-log.entity.js';
export * from './stripe-subscription.entity.js';
export * from './stripe-customer.entity.js';

/** The module's entities, for hosts that list entities by hand instead of `autoLoadEntities`. */
export const LITESTRIPE_ENTITIES = [StripeSubscription, OrphanedPayment, StripeEventLog, DomainEventOutboxEntry, StripeCustomer];
