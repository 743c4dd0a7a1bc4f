import { INestApplication, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { BillingService, getStripeClientToken, StripeSubscription } from '@litestripe/nestjs';
import type { FakeStripe } from '@litestripe/nestjs/testing';
import { DEMO_ADMIN_PATH } from '../admin-token.config';
import { API_CALLS_PACK, SUMMARIES_METER } from '../demo-plans';
import { GUEST_TOKEN_HEADER } from '../guest.controller';
import { SandboxKeys } from './sandbox-env';
import { SANDBOX_STRIPE } from './sandbox-stripe.module';

const DAY = 86_400;
const EMAIL = /[^\s"@]+@[^\s"@]+/g;
/** A guest's access token (`lsg_<selector>.<verifier>`): the success page answers one, and no log line may show it. */
const GUEST_TOKEN = /lsg_[^\s"]+/g;

export interface SandboxResult {
  accountRef: string;
  subscriptionId: string;
  /** The account support linked the orphaned payment to, in the admin. */
  claimedAccountRef: string;
  orphanId: number;
  orphanSubscriptionId: string;
  /** The account without a subscription that used up its free API calls, then bought credits. */
  visitorRef: string;
  /** The account that bought pro for life. */
  lifetimeRef: string;
  /** The visitor who bought pro as a guest, without an account. */
  guestId: string;
  guestSubscriptionId: string;
  /** The account the guest signed up with and was linked to. */
  guestAccountRef: string;
  /** The guest's access token: handed back to the caller only (tests check that no log line shows it). */
  guestToken: string;
  /** Status codes of the story's requests, by step. */
  statuses: Record<string, number>;
}

/**
 * One customer's story, over real HTTP against the demo and its in-process fake Stripe: pricing,
 * checkout (redirect, pay on the hosted page, back to the success page before any webhook), the
 * guarded routes, the usage-limited API and its meter, a failed renewal (premium locked, billing
 * portal still open), recovery, cancellation from the portal, the end of the period; then a payment
 * that matched no account, claimed by support in the admin (LitestripeAdminModule, behind the demo
 * admin token `adminToken`); a visitor using up the free API calls (429), then
 * buying credits that take over from the free allowance, half of them refunded; a customer buying
 * pro for life; and a visitor buying pro as a guest, without an account: its access token (shown
 * once, never logged) opens the premium routes, its invoices and the portal, until it signs up and
 * the guest is linked to its new account. Stripe's events are delivered, signed, at the points the
 * story says, so the timeline is the same on every run. Stripe's clock moves, and the module reads
 * it (app.module.ts).
 */
export async function runSandboxLifecycle(app: INestApplication, keys: SandboxKeys, adminToken: string, logger = new Logger('Sandbox')): Promise<SandboxResult> {
  const fake = app.get<FakeStripe | null>(SANDBOX_STRIPE);
  if (!fake) throw new Error('The sandbox lifecycle needs sandbox mode (no STRIPE_SECRET_KEY, or LITESTRIPE_SANDBOX=1)');
  const stripe = app.get<Stripe>(getStripeClientToken());
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const endpoint = { url: `${baseUrl}/ls/hook/${keys.webhookUuid}`, secret: keys.webhookSecret };
  const statuses: Record<string, number> = {};
  let step = 0;

  const title = (text: string) => logger.log(`── ${++step}. ${text}`);
  const delivered = new Set<string>();
  /** Stripe's events since the last call, signed and posted to the webhook in order. */
  const deliverWebhooks = async () => {
    for (const event of fake.events.all()) {
      if (delivered.has(event.id)) continue;
      delivered.add(event.id);
      const result = await fake.deliver(event, endpoint);
      if (!result.ok) throw new Error(`The webhook answered ${event.type} with ${result.status}`);
    }
  };
  /** One request of the story, logged in one line; `show` says what of a 2xx answer the line shows (by default its JSON, emails and tokens masked). */
  const request = async <T = unknown>(key: string, path: string, user: string | null, init: RequestInit = {}, show?: (body: T) => string) => {
    const response = await fetch(path.startsWith('http') ? path : `${baseUrl}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...(user ? { 'x-user': user } : {}), ...(init.headers as Record<string, string>) },
    });
    statuses[key] = response.status;
    const text = await response.text();
    const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null;
    const location = response.headers.get('location');
    // A guest's success page answers its token: a log line never shows it, nor an email (the mask is a
    // second line of defence: the admin's answers, which hold payers' emails, are shown by `show`, as ids and counts).
    const shown = show && response.ok ? ` ${show(body as T)}` : body ? ` ${JSON.stringify(body).replace(EMAIL, '<email>').replace(GUEST_TOKEN, '<token>').slice(0, 160)}` : location ? ` → ${location.replace(/\?.*/, '?…')}` : '';
    const remaining = response.headers.get('x-ratelimit-remaining-api_calls');
    const limit = response.headers.get('x-ratelimit-limit-api_calls');
    // What remains counts the credits bought too, once the period's allowance is used up.
    const meter = remaining === null ? '' : Number(remaining) > Number(limit) ? ` (api_calls left: ${remaining}, with credits)` : ` (api_calls left: ${remaining} of ${limit})`;
    const headers = init.headers as Record<string, string> | undefined;
    const guest = headers?.[GUEST_TOKEN_HEADER] ? ' with a guest token' : '';
    const admin = headers?.authorization ? ' with the admin token' : '';
    logger.log(`   ${init.method ?? 'GET'} ${path.replace(baseUrl, '').replace(/\?.*/, '')}${user ? ` as ${user}` : ''}${guest}${admin} → ${response.status}${meter}${shown}`);
    return { status: response.status, body, location, setCookies: response.headers.getSetCookie() };
  };
  const form = (fields: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Buys something sold once: the demo redirects to Checkout, the customer pays, the success page syncs. */
  const purchase = async (key: string, user: string, body: Record<string, unknown>) => {
    const checkout = await request(`${key}Checkout`, '/billing/purchase', user, json(body));
    const paid = await request(`${key}Pay`, `${checkout.location}/pay`, null, form({}));
    return request(`${key}Success`, paid.location!, null);
  };
  /** The usage meter of /billing/status, one line per metric. */
  const usageMeter = (status: { body: { usage?: UsageLine[] } | null }) => {
    for (const u of status.body?.usage ?? []) {
      if (u.source === 'none') {
        logger.log(`   usage ${u.metric}: not included without a plan`);
        continue;
      }
      const from = u.plan ? `${u.plan}, ${u.seats} seat${u.seats === 1 ? '' : 's'}` : u.source;
      const credits = u.credits ? ` + ${u.credits} credits` : '';
      logger.log(`   usage ${u.metric}: ${u.used} of ${u.limit ?? 'unlimited'} (${from})${credits}, ${u.remaining ?? 'unlimited'} left until ${String(u.periodEnd).slice(0, 10)}${u.overLimit ? ', used up' : u.nearLimit ? ', near the limit' : ''}`);
    }
  };
  const row = async (id: string) => {
    const r = await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ id });
    logger.log(`   row ${r.id} account=${r.accountRef} status=${r.status} plan=${r.lookupKey} cancel_at_period_end=${r.cancelAtPeriodEnd}`);
    return r;
  };

  const accountRef = `user_${randomBytes(3).toString('hex')}`;
  logger.log(`Sandbox: account ${accountRef} subscribes, against the fake Stripe at ${fake.url}`);

  title('the pricing page lists the plans with their Stripe prices, pro for life and a pack of API calls');
  await request('pricing', '/pricing', null);
  await request('premiumBefore', '/premium', accountRef);
  await request('supportBefore', '/premium/support', accountRef);

  title('checkout: the app redirects to Stripe, the customer pays on the hosted page');
  const checkout = await request('checkout', '/billing/checkout?plan=pro', accountRef);
  const paid = await request('pay', `${checkout.location}/pay`, null, form({ email: 'subscriber@example.com' }));

  title('back on the success page before any webhook: it syncs the session from Stripe');
  await request('success', paid.location!, null);
  await request('premiumAfterCheckout', '/premium', accountRef);

  title("Stripe's webhooks arrive: no event repeated; Stripe's entitlement summary adds priority_support, a feature of the pro product");
  await deliverWebhooks();
  const subscriptionId = (await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ accountRef })).id;
  await row(subscriptionId);
  await request('reports', '/premium/reports', accountRef);
  await request('export', '/premium/export', accountRef);
  await request('support', '/premium/support', accountRef);

  title("the API counts calls against the plan's allowance: pro grants 1000 api_calls per seat and period");
  await request('search', '/api/search?q=churn', accountRef);
  await request('apiExport', '/api/exports', accountRef, { method: 'POST' });
  // Metered: each summary is reported to Stripe's meter, in the background, once per Idempotency-Key.
  const summary = { method: 'POST', headers: { 'idempotency-key': 'summary-1' } };
  await request('summary', '/api/summaries', accountRef, summary);
  await request('summaryRetry', '/api/summaries', accountRef, summary);
  const customer = fake.subscriptions.get(subscriptionId)!.customer as string;
  const meterEvents = await waitFor(() => fake.meterEvents({ eventName: SUMMARIES_METER, customer }), (events) => events.length > 0);
  logger.log(`   Stripe's ${SUMMARIES_METER} meter holds ${meterEvents.length} event for ${customer}`);
  usageMeter(await request('statusUsage', '/billing/status', accountRef));

  title('a month later the renewal payment fails: premium locks, the billing portal stays open');
  fake.failPayments(customer);
  fake.advanceClock(31 * DAY);
  await deliverWebhooks();
  await request('premiumPastDue', '/premium', accountRef);
  await request('portalPastDue', '/billing/portal', accountRef);

  title('the customer fixes the card; the retry succeeds');
  fake.failPayments(customer, false);
  fake.advanceClock(2);
  fake.updateSubscription(subscriptionId, { status: 'active' });
  await deliverWebhooks();
  await request('premiumRecovered', '/premium', accountRef);

  title('the customer cancels in the billing portal: access lasts until the period ends');
  const portal = await request('portal', '/billing/portal', accountRef);
  fake.advanceClock(2);
  await request('portalCancel', `${portal.location}/subscriptions/${subscriptionId}`, null, form({ cancel_at_period_end: 'true' }));
  await deliverWebhooks();
  await request('status', '/billing/status', accountRef);
  await request('premiumCanceling', '/premium', accountRef);

  title('the period ends: Stripe ends the subscription');
  fake.advanceClock(31 * DAY);
  await deliverWebhooks();
  await row(subscriptionId);
  await request('premiumAfterEnd', '/premium', accountRef);

  title('a payment that matched no account (a payment link), claimed by support in the admin');
  const [basic] = (await stripe.prices.list({ lookup_keys: ['demo_basic_monthly'] })).data;
  const stranger = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: basic.id, quantity: 1 }], success_url: `${baseUrl}/pricing` });
  await request('strangerPays', `${stranger.url}/pay`, null, form({ email: 'stranger@example.com' }));
  await deliverWebhooks();
  // Support signs in to the admin with the demo admin token; a change also takes the CSRF token of api/csrf, as cookie and header.
  const admin = `/${DEMO_ADMIN_PATH}/api`;
  const bearer = { authorization: `Bearer ${adminToken}` };
  await request('adminWithoutToken', `${admin}/unclaimed`, null);
  const csrf = await request('adminCsrf', `${admin}/csrf`, null, { headers: bearer }, () => 'a CSRF token, as a cookie and in the answer');
  const adminChange = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { ...bearer, 'content-type': 'application/json', cookie: csrf.setCookies[0].split(';')[0], 'x-csrf-token': (csrf.body as { token: string }).token },
    body: JSON.stringify(body),
  });
  // The admin lists payers' emails, for support to recognise them: the log shows ids and counts only.
  const unclaimed = await request('unclaimed', `${admin}/unclaimed`, null, { headers: bearer }, (body: Unclaimed) =>
    `${count(body.orphans.length, 'orphaned payment')} (${body.orphans.map((o) => `#${o.id}: ${o.subscriptionId}, ${o.reason}`).join('; ')}), ${count(body.guests.length, 'unlinked guest purchase')}`,
  );
  const orphan = (unclaimed.body as Unclaimed).orphans[0];
  const claimedAccountRef = `user_${randomBytes(3).toString('hex')}`;
  await request('claim', `${admin}/orphans/${orphan.id}/claim`, null, adminChange({ accountRef: claimedAccountRef }), (body: { orphanId: number; subscriptionId: string; accountRef: string }) =>
    `orphaned payment #${body.orphanId} (${body.subscriptionId}) → account ${body.accountRef}`,
  );
  await deliverWebhooks();
  await request('lookupClaimed', `${admin}/lookup?q=${claimedAccountRef}`, null, { headers: bearer }, (body: { accounts: { entitled: boolean; reason: string }[]; subscriptions: unknown[]; events: unknown[] }) =>
    `account ${claimedAccountRef}: ${body.accounts[0].entitled ? 'entitled' : 'not entitled'} (${body.accounts[0].reason}), ${count(body.subscriptions.length, 'subscription')}, ${count(body.events.length, 'event')} in its timeline`,
  );
  await request('premiumClaimed', '/premium', claimedAccountRef);

  title('a visitor without a subscription tries the API: 10 free calls a month, then 429');
  const visitorRef = `visitor_${randomBytes(3).toString('hex')}`;
  await request('visitorExport', '/api/exports', visitorRef, { method: 'POST' });
  await request('visitorSearch', '/api/search?q=revenue', visitorRef);
  usageMeter(await request('visitorStatus', '/billing/status', visitorRef));

  title('the visitor buys two packs of 100 API calls: credits are spent once the free allowance is used up');
  await purchase('credits', visitorRef, { creditPack: API_CALLS_PACK, quantity: 2 });
  await request('creditSearch', '/api/search?q=churn', visitorRef);
  await request('creditExport', '/api/exports', visitorRef, { method: 'POST' });
  await deliverWebhooks();
  usageMeter(await request('creditStatus', '/billing/status', visitorRef));

  title('support refunds one of the two packs: half of the credits are taken back');
  const [credits] = await app.get(BillingService).listPurchases({ accountRef: visitorRef });
  fake.advanceClock(60);
  fake.refund(credits.paymentRef, { amount: credits.amount! / 2 });
  await deliverWebhooks();
  usageMeter(await request('refundStatus', '/billing/status', visitorRef));

  title("a customer buys pro for life: pro's routes open without a subscription (Stripe's features come with subscriptions only)");
  const lifetimeRef = `user_${randomBytes(3).toString('hex')}`;
  await purchase('lifetime', lifetimeRef, { lifetimePlan: 'pro' });
  await deliverWebhooks();
  await request('lifetimeReports', '/premium/reports', lifetimeRef);
  await request('lifetimeSupport', '/premium/support', lifetimeRef);
  await request('lifetimeStatus', '/billing/status', lifetimeRef);

  title('a visitor buys pro as a guest, without an account: the success page shows its access token once');
  const guestCheckout = await request('guestCheckout', '/guest/checkout?plan=pro', null);
  const guestPaid = await request('guestPay', `${guestCheckout.location}/pay`, null, form({ email: 'guest@example.com' }));
  const guestSuccess = await request('guestSuccess', guestPaid.location!, null);
  const { guest: guestId, token } = guestSuccess.body as { guest: string; token: string };
  logger.log(`   token issued to guest ${guestId}: shown to the visitor once, stored only as a hash, never logged`);
  await request('guestSuccessReload', guestPaid.location!, null);
  const withToken = (value: string, init: RequestInit = {}): RequestInit => ({ ...init, headers: { [GUEST_TOKEN_HEADER]: value } });

  title("the guest's token opens pro's routes (the global guard reads the x-guest-token header); a made-up token is refused");
  await request('guestReports', '/premium/reports', null, withToken(token));
  await request('guestNoToken', '/premium/reports', null);
  await request('guestBadToken', '/premium/reports', null, withToken(`lsg_${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`));

  title("Stripe's webhooks arrive; the guest opens its invoices and the billing portal by its token");
  await deliverWebhooks();
  const guestSubscriptionId = (await app.get(DataSource).getRepository(StripeSubscription).findOneByOrFail({ accountRef: `guest:${guestId}` })).id;
  await row(guestSubscriptionId);
  await request('guestInvoices', '/guest/invoices', null, withToken(token));
  await request('guestPortal', '/guest/portal', null, withToken(token));

  title('the guest signs up and presents its token: its subscription moves to the new account, the token stops working');
  const guestAccountRef = `user_${randomBytes(3).toString('hex')}`;
  await request('guestLink', '/guest/link', guestAccountRef, withToken(token, { method: 'POST' }));
  await deliverWebhooks();
  await row(guestSubscriptionId);
  await request('linkedReports', '/premium/reports', guestAccountRef);
  await request('linkedToken', '/premium/reports', null, withToken(token));
  await request('linkedInvoices', '/billing/invoices', guestAccountRef);
  const preview = await request('linkedPreview', '/billing/preview?plan=basic', guestAccountRef);
  const { prorationAmount, total, currency } = preview.body as { prorationAmount: number; total: number; currency: string };
  const amount = (minor: number) => `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  logger.log(`   moving to basic now: prorations ${amount(prorationAmount)} (pro's unused time credited, basic's time left charged), next invoice ${amount(total)}; nothing changed`);

  logger.log(`Sandbox done. Still serving: curl -H 'x-user: ${claimedAccountRef}' ${baseUrl}/premium (200), or ${baseUrl}/pricing`);
  logger.log(`The API: curl -i -H 'x-user: ${claimedAccountRef}' '${baseUrl}/api/search?q=churn', and its meter: curl -H 'x-user: ${claimedAccountRef}' ${baseUrl}/billing/status`);
  logger.log(`Pro for life: curl -H 'x-user: ${lifetimeRef}' ${baseUrl}/premium/reports (200); buy it: curl -i -X POST -H 'x-user: alice' -H 'content-type: application/json' -d '{"lifetimePlan":"pro"}' ${baseUrl}/billing/purchase`);
  logger.log(`Support's admin: ${baseUrl}/${DEMO_ADMIN_PATH} (sign in at /admin-login?token=<the token printed at start-up>), or its API: curl -H 'Authorization: Bearer <token>' ${baseUrl}/${DEMO_ADMIN_PATH}/api/unclaimed`);
  logger.log(`A guest: curl -i '${baseUrl}/guest/checkout?plan=pro' (303 to Checkout); its success page shows the token once, then: curl -H '${GUEST_TOKEN_HEADER}: <token>' ${baseUrl}/premium/reports`);
  return { accountRef, subscriptionId, claimedAccountRef, orphanId: orphan.id, orphanSubscriptionId: orphan.subscriptionId, visitorRef, lifetimeRef, guestId, guestSubscriptionId, guestAccountRef, guestToken: token, statuses };
}

/** `1 orphaned payment`, `0 events`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** What the admin's api/unclaimed answers, as far as the story reads it (the emails it also holds are never read here). */
interface Unclaimed {
  orphans: { id: number; subscriptionId: string; reason: string }[];
  guests: { id: string }[];
}

/** Polls `read` until `done` says yes, for at most 5 seconds: for what the app does in the background. */
async function waitFor<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('Gave up waiting after 5 s');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One metric of the usage meter /billing/status serves (`null`: unlimited). */
interface UsageLine {
  metric: string;
  used: number;
  limit: number | null;
  credits: number;
  remaining: number | null;
  periodEnd: string;
  nearLimit: boolean;
  overLimit: boolean;
  source: string;
  plan: string | null;
  seats: number | null;
}
