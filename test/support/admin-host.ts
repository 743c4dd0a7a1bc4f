import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { LitestripeAdminModule, LitestripeAdminOptions, LitestripeEvents, OrphanedPayment, OutboxBroker, OutboxService, getStripeClientToken } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './billing-host';
import type { Adapter } from './test-app';

export const ADMIN = '/ops/billing';

/** The host's account directory, as `validateClientReference` asks it: it can be down, and it knows no `acct_unknown…`. */
export interface AccountDirectory {
  reachable: boolean;
}

/**
 * A host app with the admin mounted at /ops/billing behind the host's guard, over real PostgreSQL
 * and the fake Stripe, listening on a port a browser can open; and the ways its operators'
 * problems arise: events that failed, an outbox entry whose listener failed, an orphan.
 */
export interface AdminHost extends BillingHost {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  directory: AccountDirectory;
  /** Delivers a paid checkout's events while the account directory is down: the webhook answers 500 and the log keeps them as failed. */
  failedCheckout(accountRef: string, price?: Stripe.Price): Promise<{ subscriptionId: string; eventIds: string[] }>;
  /** A subscription whose `activated` listener fails until `repair()`: its outbox entry runs out of attempts. */
  failingOutboxEntry(accountRef: string): Promise<{ id: string; repair(): void }>;
  /** A paid checkout without an account reference: an open orphan with the payer's email. */
  orphanedPayment(email: string): Promise<OrphanedPayment>;
}

const outbox = { pollIntervalMs: 0, retryBackoffMs: 1, maxAttempts: 2, leaseMs: 60_000 };

/** `access`: the host's guard (and what it needs), which decides who is an operator; `imports` go into the host app too. */
export async function startAdminHost(adapter: Adapter, access: Pick<LitestripeAdminOptions, 'guard' | 'imports'>, brokers: OutboxBroker[] = []): Promise<AdminHost> {
  const directory: AccountDirectory = { reachable: true };
  const host = await startBillingHost({
    adapter,
    imports: [...(access.imports ?? []), LitestripeAdminModule.forRoot({ path: ADMIN, ...access })],
    options: {
      outbox,
      brokers,
      validateClientReference: (reference) => {
        if (!directory.reachable) throw new Error('account directory unreachable');
        return !reference.startsWith('acct_unknown');
      },
    },
  });
  const stripe = host.app.get<Stripe>(getStripeClientToken());
  const { port } = host.app.getHttpServer().address() as AddressInfo;

  const paidCheckout = async (params: Stripe.Checkout.SessionCreateParams) => {
    const session = await stripe.checkout.sessions.create({ mode: 'subscription', success_url: 'https://app.example/welcome', ...params });
    return { session, completed: host.fake.completeCheckoutSession(session.id) };
  };

  return {
    ...host,
    origin: `http://127.0.0.1:${port}`,
    directory,
    async failedCheckout(accountRef, price = host.prices.basic) {
      const { completed } = await paidCheckout({ line_items: [{ price: price.id, quantity: 1 }], client_reference_id: accountRef });
      directory.reachable = false;
      try {
        for (const event of completed.events) await host.post(event);
      } finally {
        directory.reachable = true;
      }
      return { subscriptionId: completed.subscription!.id, eventIds: completed.events.map((event) => event.id) };
    },
    async failingOutboxEntry(accountRef) {
      const emitter = host.app.get(EventEmitter2);
      const listener = async () => {
        throw new Error('mailer down');
      };
      emitter.on(LitestripeEvents.SubscriptionActivated, listener);
      const completed = await host.subscribe(accountRef, { plan: 'basic' });
      // The first attempt failed at commit; the second, once its 1 ms backoff is over, uses up the attempts.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await host.app.get(OutboxService).dispatchDue();
      const failed = (await host.app.get(OutboxService).listFailed()).find((entry) => completed.events.some((event) => event.id === entry.stripeEventId));
      if (!failed) throw new Error(`No failed outbox entry for ${accountRef}'s checkout`);
      return { id: failed.id, repair: () => emitter.off(LitestripeEvents.SubscriptionActivated, listener) };
    },
    async orphanedPayment(email) {
      const { session, completed } = await paidCheckout({ line_items: [{ price: host.prices.basic.id, quantity: 1 }], customer_email: email });
      await host.deliver(...completed.events);
      return host.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ checkoutSessionId: session.id });
    },
  };
}
