import { INestApplication, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { OrphanedPayment, StripeSubscription } from '@litestripe/nestjs';
import { buildStripeEvent, signedDelivery } from '@litestripe/nestjs/testing';
import { SandboxKeys } from './sandbox-env';
import { checkoutSession, newCustomer, paidInvoice, subscription } from './stripe-objects';

const DAY = 86_400;

export interface SandboxResult {
  accountRef: string;
  subscriptionId: string;
  orphanSubscriptionId: string;
  /** Status codes of `GET /premium/:accountRef` while the subscription was active, and after it ended. */
  premiumWhileActive: number;
  premiumAfterEnd: number;
}

/**
 * Plays one subscription's life, and one checkout that matches no account, against the app's own
 * webhook endpoint: real HTTP, signed as Stripe signs. The story starts 60 days ago so that the
 * renewal and the end fall on past dates.
 */
export async function runSandboxLifecycle(app: INestApplication, keys: SandboxKeys, logger = new Logger('Sandbox')): Promise<SandboxResult> {
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataSource = app.get(DataSource);
  let step = 0;

  const deliver = async (title: string, type: string, object: Record<string, unknown>, created: number) => {
    logger.log(`── ${++step}. ${title} (${type})`);
    const { body, headers } = await signedDelivery(buildStripeEvent(type, object, { created }), keys.webhookSecret);
    const response = await fetch(`${baseUrl}/ls/hook/${keys.webhookUuid}`, { method: 'POST', headers, body });
    if (!response.ok) throw new Error(`The webhook answered ${type} with ${response.status}: ${await response.text()}`);
  };
  const showRow = async (id: string) => {
    const row = await dataSource.getRepository(StripeSubscription).findOneByOrFail({ id });
    logger.log(`   row ${describeRow(row)}`);
  };
  const premium = async (accountRef: string) => {
    const response = await fetch(`${baseUrl}/premium/${accountRef}`);
    logger.log(`   GET /premium/${accountRef} → ${response.status}`);
    return response.status;
  };

  const start = Math.floor(Date.now() / 1000) - 60 * DAY;
  const firstPeriod = { periodStart: start, periodEnd: start + 30 * DAY };
  const renewedPeriod = { periodStart: start + 30 * DAY, periodEnd: start + 60 * DAY };
  const accountRef = `user_${randomBytes(3).toString('hex')}`;
  const customer = newCustomer(start);
  logger.log(`Sandbox: playing a subscription of account ${accountRef} against ${baseUrl}/ls/hook/${keys.webhookUuid}`);

  await deliver(`checkout completed, client_reference_id ${accountRef}`, 'checkout.session.completed', checkoutSession(customer, accountRef, 'subscriber@example.com'), start);
  await showRow(customer.subscriptionId);
  await deliver('subscription created, active', 'customer.subscription.created', subscription(customer, { status: 'active', ...firstPeriod }), start);
  await showRow(customer.subscriptionId);
  const premiumWhileActive = await premium(accountRef);
  await deliver('first invoice paid', 'invoice.paid', paidInvoice(customer, start + 1, firstPeriod.periodStart, firstPeriod.periodEnd), start + 1);
  await showRow(customer.subscriptionId);
  await deliver('renewed for a second month', 'customer.subscription.updated', subscription(customer, { status: 'active', ...renewedPeriod }), renewedPeriod.periodStart);
  await showRow(customer.subscriptionId);
  await deliver('canceled at period end', 'customer.subscription.updated', subscription(customer, { status: 'active', ...renewedPeriod, cancelAtPeriodEnd: true }), renewedPeriod.periodStart + 5 * DAY);
  await showRow(customer.subscriptionId);
  const end = renewedPeriod.periodEnd;
  await deliver('period over, subscription deleted', 'customer.subscription.deleted', subscription(customer, { status: 'canceled', ...renewedPeriod, cancelAtPeriodEnd: true, endedAt: end }), end);
  await showRow(customer.subscriptionId);
  const premiumAfterEnd = await premium(accountRef);

  const stranger = newCustomer(start + 2 * DAY);
  await deliver('checkout completed without client_reference_id', 'checkout.session.completed', checkoutSession(stranger, null, 'stranger@example.com'), stranger.since);
  await showRow(stranger.subscriptionId);
  const orphan = await dataSource.getRepository(OrphanedPayment).findOneByOrFail({ subscriptionId: stranger.subscriptionId });
  logger.log(`   orphan #${orphan.id}: ${orphan.email}, ${orphan.reason}, ${((orphan.amount ?? 0) / 100).toFixed(2)} ${orphan.currency?.toUpperCase()}, checkout ${orphan.checkoutSessionId}`);

  logger.log(`Sandbox done. Still serving: curl ${baseUrl}/premium/${accountRef} (now 403)`);
  return { accountRef, subscriptionId: customer.subscriptionId, orphanSubscriptionId: stranger.subscriptionId, premiumWhileActive, premiumAfterEnd };
}

function describeRow(row: StripeSubscription): string {
  const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : '-');
  const payment = row.latestPaymentStatus ? `${row.latestPaymentStatus} (${row.latestInvoiceId})` : '-';
  return [
    row.id,
    `account=${row.accountRef ?? '-'}`,
    `status=${row.status ?? '-'}`,
    `period=${day(row.currentPeriodStart)}..${day(row.currentPeriodEnd)}`,
    `cancel_at_period_end=${row.cancelAtPeriodEnd}`,
    `ended=${day(row.endedAt)}`,
    `payment=${payment}`,
  ].join(' ');
}
