import { DomainEventOutboxEntry } from './domain-event-outbox.entity';
import { OrphanedPayment } from './orphaned-payment.entity';
import { StripeEventLog } from './stripe-event-log.entity';
import { StripeSubscription } from './stripe-subscription.entity';
import { StripeCustomer } from './stripe-customer.entity';

export * from './domain-event-outbox.entity';
export * from './orphaned-payment.entity';
export * from './stripe-event-log.entity';
export * from './stripe-subscription.entity';
export * from './stripe-customer.entity';

/** The module's entities, for hosts that list entities by hand instead of `autoLoadEntities`. */
export const LITESTRIPE_ENTITIES = [StripeSubscription, OrphanedPayment, StripeEventLog, DomainEventOutboxEntry, StripeCustomer];
