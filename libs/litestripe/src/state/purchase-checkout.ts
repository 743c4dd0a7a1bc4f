import type Stripe from 'stripe';
import type { PlanCatalog } from '../config/plan-catalog.js';
import type { OneTimePurchase, PurchasePaymentStatus } from '../entities/one-time-purchase.entity.js';
import type { PurchasePatch } from './purchase.writer.js';

/** One line of a Checkout Session: a price and how many were bought. */
export interface PurchaseLine {
  priceId: string;
  quantity: number;
}

/** Every line item of a Checkout Session, read through the API (what a purchase grants is never taken from its payload or metadata). */
export async function listPurchaseLines(stripe: Stripe, sessionId: string): Promise<PurchaseLine[]> {
  const items = await stripe.checkout.sessions.listLineItems(sessionId, { limit: 100 }).autoPagingToArray({ limit: 10_000 });
  return items.flatMap((item) => (item.price?.id ? [{ priceId: item.price.id, quantity: item.quantity ?? 1 }] : []));
}

/** A payment-mode Checkout Session as the webhook and the success page both read it. */
export interface PurchaseCheckout {
  paymentRef: string;
  sessionId: string;
  customerId: string | null;
  /** The account its reference resolved to (null: none usable). */
  accountRef: string | null;
  paymentStatus: PurchasePaymentStatus;
  amount: number | null;
  currency: string | null;
  livemode: boolean;
  /** Unix seconds. */
  sessionCreated: number;
  /** Its line items, read through the API (never from metadata a payment link could carry). */
  lines: PurchaseLine[];
}

/** What a checkout's lines grant: the lifetime plans and credit packs the catalogue sells once; other prices grant nothing. */
export function purchaseGrantOf(lines: readonly PurchaseLine[], catalog: PlanCatalog): { lifetimePlans: string[]; credits: Record<string, number>; priceIds: string[] } {
  const lifetimePlans = new Set<string>();
  const credits: Record<string, number> = {};
  const priceIds: string[] = [];
  for (const { priceId, quantity } of lines) {
    const grant = catalog.oneTimeGrantOf(priceId);
    if (!grant) continue;
    priceIds.push(priceId);
    if (grant.kind === 'lifetime') lifetimePlans.add(grant.plan.id);
    else for (const [metric, count] of Object.entries(grant.pack.credits)) credits[metric] = (credits[metric] ?? 0) + count * quantity;
  }
  return { lifetimePlans: [...lifetimePlans].sort(), credits, priceIds };
}

/**
 * The change a checkout makes to its purchase; null when it sells nothing the catalogue sells once
 * (a host's own product: not the module's to record). The first account wins, as for subscriptions,
 * and a settled payment (`paid`, `failed`) stays settled whatever arrives later.
 */
export function checkoutPatch(row: OneTimePurchase, checkout: PurchaseCheckout, catalog: PlanCatalog): PurchasePatch | null {
  const grant = purchaseGrantOf(checkout.lines, catalog);
  if (grant.lifetimePlans.length === 0 && Object.keys(grant.credits).length === 0) return null;
  return {
    checkoutSessionId: checkout.sessionId,
    customerId: checkout.customerId,
    accountRef: row.accountRef ?? checkout.accountRef,
    paymentStatus: row.paymentStatus === 'paid' || row.paymentStatus === 'failed' ? row.paymentStatus : checkout.paymentStatus,
    lifetimePlans: grant.lifetimePlans,
    credits: grant.credits,
    priceIds: grant.priceIds,
    amount: row.amount ?? checkout.amount,
    currency: checkout.currency,
    stripeCreated: new Date(checkout.sessionCreated * 1000),
  };
}
