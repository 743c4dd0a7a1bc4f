import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildStripeEvent, signedDelivery, stripeId } from '@litestripe/nestjs/testing';
import { seededRandom, shuffle } from '../test/support/seeded-random';
import { checkoutSessionObject, invoiceObject, subscriptionObject } from '../test/support/stripe-objects';

/**
 * The traffic of the webhook benchmark: the deliveries Stripe makes for a set of subscriptions
 * started through Checkout and renewed month after month, in the current API shape, interleaved
 * at random (per subscription in order, with increasing `created`) and with a share of the
 * deliveries repeated, as Stripe does when it retries.
 */

const MONTH = 30 * 86_400;
const T0 = 1_764_000_000;

export interface PlannedDelivery {
  event: { id: string; type: string };
  duplicate: boolean;
}

export interface EventPlan {
  deliveries: PlannedDelivery[];
  /** Distinct events (deliveries minus duplicates). */
  uniqueEvents: number;
  /** Subscriptions that get at least one event, hence one row. */
  subscriptions: number;
  duplicates: number;
  byType: Record<string, number>;
}

export interface PlanOptions {
  deliveries: number;
  subscriptions: number;
  duplicateRatio: number;
  /** Duplicates land up to 4 × this many positions after their original, some while it is still in flight. */
  concurrency: number;
  seed: number;
}

export function planEvents(options: PlanOptions): EventPlan {
  ensureFixtures();
  const random = seededRandom(options.seed);
  const duplicates = Math.round(options.deliveries * options.duplicateRatio);
  const unique = options.deliveries - duplicates;

  // Each subscription's events, in the order Stripe creates them.
  const lifecycles: object[][] = [];
  for (let i = 0; i < options.subscriptions; i++) {
    const count = Math.floor(unique / options.subscriptions) + (i < unique % options.subscriptions ? 1 : 0);
    lifecycles.push(subscriptionLifecycle(i, count, T0 + i * 37));
  }

  // Interleave at random, keeping each subscription's order: shuffle the multiset of subscription indexes.
  const slots: number[] = [];
  lifecycles.forEach((events, i) => events.forEach(() => slots.push(i)));
  shuffle(slots, random);
  const next = new Array<number>(lifecycles.length).fill(0);
  const originals = slots.map((i) => lifecycles[i][next[i]++] as PlannedDelivery['event']);

  // Redeliveries: distinct originals, each repeated once, a little later in the stream.
  const keyed: { key: number; delivery: PlannedDelivery }[] = originals.map((event, i) => ({ key: i, delivery: { event, duplicate: false } }));
  const picks = originals.map((_, i) => i);
  shuffle(picks, random);
  for (const i of picks.slice(0, duplicates)) {
    const delay = 1 + Math.floor(random() * 4 * options.concurrency);
    keyed.push({ key: i + delay - 0.5, delivery: { event: originals[i], duplicate: true } });
  }
  keyed.sort((a, b) => a.key - b.key);
  const deliveries = keyed.map((k) => k.delivery);

  const byType: Record<string, number> = {};
  for (const d of deliveries) byType[d.event.type] = (byType[d.event.type] ?? 0) + 1;
  return { deliveries, uniqueEvents: originals.length, subscriptions: lifecycles.filter((l) => l.length > 0).length, duplicates, byType };
}

/**
 * One subscription bought through Checkout: created (incomplete), checkout completed with the
 * account's `client_reference_id`, first invoice paid, activated; then each month a renewal
 * (`customer.subscription.updated` with the new period on `items.data[]`) and its `invoice.paid`.
 */
function subscriptionLifecycle(index: number, count: number, t0: number): object[] {
  const subscription = stripeId('sub');
  const customer = stripeId('cus');
  const session = stripeId('cs');
  const period = (month: number) => ({ periodStart: t0 + month * MONTH, periodEnd: t0 + (month + 1) * MONTH });
  const sub = (status: string, month: number) => subscriptionObject({ id: subscription, customer, status, ...period(month) }, 'current');
  const invoice = (id: string) => invoiceObject({ id, subscription, customer }, 'current');

  const events: object[] = [];
  let invoiceId = stripeId('in');
  events.push(buildStripeEvent('customer.subscription.created', sub('incomplete', 0), { created: t0 }));
  events.push(
    buildStripeEvent('checkout.session.completed', checkoutSessionObject({ id: session, subscription, customer, clientReferenceId: `acct_${index}`, created: t0 }), {
      created: t0 + 1,
    }),
  );
  events.push(buildStripeEvent('invoice.paid', invoice(invoiceId), { created: t0 + 1 }));
  events.push(buildStripeEvent('customer.subscription.updated', sub('active', 0), { created: t0 + 2, previousAttributes: { status: 'incomplete' } }));
  for (let month = 1; events.length < count; month++) {
    const renewal = t0 + month * MONTH;
    const previousInvoice = invoiceId;
    invoiceId = stripeId('in');
    events.push(buildStripeEvent('customer.subscription.updated', sub('active', month), { created: renewal, previousAttributes: { latest_invoice: previousInvoice } }));
    events.push(buildStripeEvent('invoice.paid', invoice(invoiceId), { created: renewal + 1 }));
  }
  return events.slice(0, count);
}

export interface SignedBody {
  body: Buffer;
  headers: Record<string, string>;
}

/** Signs every delivery (Stripe's format, timestamp now) and renders its body, before any timing. */
export async function signAll(deliveries: readonly PlannedDelivery[], secret: string): Promise<SignedBody[]> {
  const signed: SignedBody[] = [];
  for (const { event } of deliveries) {
    const { body, headers } = await signedDelivery(event, secret);
    const bytes = Buffer.from(body);
    signed.push({ body: bytes, headers: { ...headers, 'content-length': String(bytes.length) } });
  }
  return signed;
}

/**
 * The builders of test/support read test/fixtures/stripe relative to their own file; compiled into
 * bench/dist they look for bench/dist/test/fixtures, which this links to the real folder.
 */
export function ensureFixtures(): void {
  const compiledSupport = resolve(__dirname, '..', 'test', 'support');
  const link = resolve(compiledSupport, '..', 'fixtures');
  if (existsSync(join(link, 'stripe'))) return;
  const repoRoot = findRepoRoot(__dirname);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(relative(dirname(link), join(repoRoot, 'test', 'fixtures')), link, 'dir');
}

export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nest-cli.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No nest-cli.json above ${from}`);
  }
}
