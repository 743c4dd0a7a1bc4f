import type Stripe from 'stripe';
import { randomBytes } from 'node:crypto';
import type { FakeStripe } from '@litestripe/nestjs/testing';

/** A mix of what a real account holds after a while. */
const STATUSES: Stripe.Subscription.Status[] = ['active', 'active', 'active', 'trialing', 'past_due', 'canceled', 'unpaid', 'paused'];
const PRICES = ['demo_basic_monthly', 'demo_pro_monthly', 'demo_pro_yearly'];

export interface OfflineSeed {
  subscriptions: number;
  undeliveredEvents: number;
  /** A seeded subscription (and its customer) to sync by id. */
  example: { subscription: string; customer: string };
}

/**
 * Fills the sandbox's fake Stripe with `count` subscriptions over the demo's prices, two in three
 * linked to an account (metadata `client_reference_id`) and the rest not (the backfill makes
 * orphan records of those), and leaves some of their events undelivered for `sync replay`.
 */
export function seedOfflineStripe(fake: FakeStripe, count: number): OfflineSeed {
  const known = new Set(fake.prices.all().map((price) => price.lookup_key));
  const run = randomBytes(2).toString('hex');
  const seeded = PRICES.filter((price) => known.has(price)).flatMap((price, p, prices) =>
    fake.seedSubscriptions(Math.floor(count / prices.length) + (p < count % prices.length ? 1 : 0), {
      price,
      recordEvents: true,
      status: (index) => STATUSES[index % STATUSES.length],
      metadata: (index): Record<string, string> => (index % 3 === 2 ? {} : { client_reference_id: `user_${run}_${p}_${index}` }),
      email: (index) => `customer-${p}-${index}@example.com`,
    }),
  );
  // Every tenth subscription had its creation event lost, and a later change too.
  let undeliveredEvents = 0;
  for (const [index, sub] of seeded.entries()) {
    if (index % 10 !== 0) continue;
    const created = fake.events.find((event) => event.type === 'customer.subscription.created' && (event.data.object as { id: string }).id === sub.id);
    const changes = sub.status === 'active' ? fake.updateSubscription(sub.id, { quantity: 2 }).events : [];
    for (const event of [...(created ? [created] : []), ...changes]) {
      fake.markUndelivered(event.id);
      undeliveredEvents++;
    }
  }
  const example = seeded.find((sub) => sub.status === 'active') ?? seeded[0];
  return { subscriptions: seeded.length, undeliveredEvents, example: { subscription: example.id, customer: example.customer } };
}
