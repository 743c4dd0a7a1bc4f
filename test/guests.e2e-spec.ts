import { Controller, Get, Module } from '@nestjs/common';
import type { LitestripeModuleOptions } from '@litestripe/nestjs';
import { APP_GUARD } from '@nestjs/core';
import type Stripe from 'stripe';
import {
  CurrentEntitlement,
  getStripeClientToken,
  Guest,
  GuestAccessToken,
  GuestTokenRejectedException,
  LitestripeEvents,
  RequiresPlan,
  RequiresSubscription,
  RetentionJob,
  StripeSubscription,
  UsageLimit,
  UsageService,
  isGuestReference,
  LitestripeModule,
  runLitestripeSync,
} from '@litestripe/nestjs';
import type { Entitlement } from '@litestripe/nestjs';
import { DynamicModule } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BillingHost, startBillingHost } from './support/billing-host';
import { Adapter, WEBHOOK_SECRET } from './support/test-app';
import { testDatabaseUrl, typeOrmOptions } from './support/test-database';
import { HeaderAuthGuard } from './support/header-auth.guard';
import { LogCapture } from './support/log-capture';

const DAY = 86_400;
const SUCCESS = 'https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}';
const CANCEL = 'https://shop.example/pricing';

@Controller('members')
class MembersController {
  @RequiresSubscription()
  @Get('area')
  area(@CurrentEntitlement() entitlement: Entitlement) {
    return { accountRef: entitlement.accountRef, plan: entitlement.plan };
  }

  @RequiresPlan('pro')
  @Get('pro')
  pro() {
    return { pro: true };
  }

  @UsageLimit('exports', { limit: 2 })
  @RequiresSubscription()
  @Get('export')
  exportOnce() {
    return { exported: true };
  }
}

@Module({ controllers: [MembersController] })
class MembersModule {}

describe('guests: subscribers without an account, let in by an access token', () => {
  let t: BillingHost;
  const logs = new LogCapture();
  beforeAll(async () => {
    logs.install();
    t = await startBillingHost({
      isGlobal: true,
      imports: [MembersModule],
      providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
      options: {
        guests: { tokenFrom: { header: 'x-guest-token' }, tokenAttempts: { limit: 3, windowSeconds: 60 }, clientKey: (request) => (request.headers as Record<string, string>)['x-client'] },
        orphanEmailRetentionDays: 30,
        validateClientReference: (reference, context) => !(context.source === 'guest_link' && reference === 'acct_banned'),
      },
    });
  });
  afterAll(async () => {
    await t.close();
    logs.uninstall();
  });
  beforeEach(() => t.reset());

  /** A visitor buys `plan` without an account; Stripe's events are delivered unless `deliver` is false. */
  async function guestBuys(plan: string, email: string, { deliver = true } = {}) {
    const session = await t.billing.createGuestCheckoutSession({ plan, successUrl: SUCCESS, cancelUrl: CANCEL, email });
    const completed = t.fake.completeCheckoutSession(session.id);
    if (deliver) await t.deliver(...completed.events);
    return { session, completed, subscriptionId: completed.subscription!.id };
  }

  /** The visitor's first visit of the success page: the token it shows. */
  async function successPage(sessionId: string): Promise<string> {
    const sync = await t.billing.syncCheckoutSession(sessionId);
    expect(sync.guest?.token).toEqual(expect.stringMatching(/^lsg_/));
    return sync.guest!.token!;
  }

  const asGuest = (path: string, token: string, client = 'client-a') => t.http().get(path).set('x-guest-token', token).set('x-client', client);

  it('marks the checkout as a guest’s: no account, no customer made beforehand, the mark on the subscription too', async () => {
    const { session, completed } = await guestBuys('pro', 'visitor@example.com', { deliver: false });
    const guestId = session.metadata?.litestripe_guest;
    expect(guestId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(session.client_reference_id).toBeNull();
    expect(session.customer).toBeNull();
    expect(session.customer_email).toBe('visitor@example.com');
    expect(completed.subscription?.metadata).toMatchObject({ litestripe_guest: guestId });
    expect(completed.subscription?.metadata).not.toHaveProperty('client_reference_id');
  });

  it('the success page issues the token once; the webhook records the guest and its email, and issues none', async () => {
    const { session, subscriptionId } = await guestBuys('pro', 'visitor@example.com');
    const guestId = session.metadata!.litestripe_guest;
    const recorded = await t.dataSource.getRepository(Guest).findOneByOrFail({ id: guestId });
    expect(recorded).toMatchObject({ subscriptionId, checkoutSessionId: session.id, email: 'visitor@example.com', tokenIssuedAt: null, linkedAccountRef: null });
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: `guest:${guestId}` });
    expect(await t.dataSource.getRepository(GuestAccessToken).count()).toBe(0);

    const token = await successPage(session.id);
    const reload = await t.billing.syncCheckoutSession(session.id);
    expect(reload.guest).toEqual({ guestId, token: null, tokenExpiresAt: null });
    expect(await t.dataSource.getRepository(GuestAccessToken).count()).toBe(1);
    expect(await t.service.getEntitlement({ guestToken: token })).toMatchObject({ entitled: true, plan: 'pro', accountRef: `guest:${guestId}` });
    expect(isGuestReference(`guest:${guestId}`)).toBe(true);
  });

  it('the success page before the webhook: the late events change nothing, the guest keeps one row and its email', async () => {
    const { session, completed, subscriptionId } = await guestBuys('basic', 'early@example.com', { deliver: false });
    const token = await successPage(session.id);
    t.recorder.clear();
    await t.deliver(...completed.events);
    expect(await t.dataSource.getRepository(Guest).find()).toEqual([expect.objectContaining({ email: 'early@example.com', subscriptionId })]);
    expect(await t.service.isEntitled({ guestToken: token }, { plan: 'basic' })).toBe(true);
  });

  it('links the subscription to the guest from its metadata when the subscription’s own event comes before the checkout’s', async () => {
    const { session, completed, subscriptionId } = await guestBuys('basic', 'order@example.com', { deliver: false });
    const created = completed.events.filter((event: Stripe.Event) => event.type === 'customer.subscription.created');
    await t.deliver(...created);
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: `guest:${session.metadata!.litestripe_guest}` });
  });

  it('keeps the token out of every table, log line, domain event and outbox entry', async () => {
    const { session } = await guestBuys('pro', 'secret-keeper@example.com', { deliver: false });
    const token = await successPage(session.id);
    await t.deliver(...t.fake.events.all());
    await asGuest('/members/area', token).expect(200);
    const verifier = token.split('.')[1];
    const everything = JSON.stringify(
      await t.dataSource.query(
        `SELECT (SELECT json_agg(g) FROM litestripe_guest g) AS guests, (SELECT json_agg(encode(t."verifier_hash", 'base64')) FROM litestripe_guest_token t) AS tokens,
                (SELECT json_agg(o."payload") FROM litestripe_outbox o) AS outbox, (SELECT json_agg(s) FROM litestripe_subscription s) AS subscriptions`,
      ),
    );
    expect(everything).toContain('secret-keeper@example.com');
    expect(everything).not.toContain(verifier);
    expect(JSON.stringify(t.recorder.events)).not.toContain(verifier);
    expect(logs.lines.some((line) => line.message.includes(verifier))).toBe(false);
  });

  it('the guard lets a guest in by token, with every plan and usage rule an account has', async () => {
    const { session } = await guestBuys('basic', 'member@example.com');
    const token = await successPage(session.id);
    const guestId = session.metadata!.litestripe_guest;
    expect((await asGuest('/members/area', token).expect(200)).body).toEqual({ accountRef: `guest:${guestId}`, plan: 'basic' });
    expect((await asGuest('/members/pro', token).expect(403)).body).toMatchObject({ reason: 'plan_required' });
    await asGuest('/members/export', token).expect(200);
    await asGuest('/members/export', token).expect(200);
    expect((await asGuest('/members/export', token).expect(429)).body).toMatchObject({ reason: 'usage_limit', metric: 'exports' });
    const usage = t.app.get(UsageService);
    expect(await usage.check({ guestToken: token }, 'exports')).toMatchObject({ used: 2 });
    expect(await usage.check(`guest:${guestId}`, 'exports')).toMatchObject({ used: 2 });
    // A signed-in account is not a guest, token or not.
    expect((await t.http().get('/members/area').set('x-user', 'acct_plain').set('x-guest-token', token).expect(403)).body).toMatchObject({ reason: 'subscription_required' });
  });

  it('answers 401 with a clear body for a missing, malformed, unknown, revoked or expired token', async () => {
    const { session } = await guestBuys('basic', 'member@example.com');
    const token = await successPage(session.id);
    const body = (reason: string) => expect.objectContaining({ statusCode: 401, error: 'Unauthorized', reason, message: expect.any(String) });
    expect((await t.http().get('/members/area').expect(401)).body).toEqual(body('guest_token_missing'));
    expect((await asGuest('/members/area', 'not-a-token', 'c1').expect(401)).body).toEqual(body('guest_token_unknown'));
    const [selector] = token.slice(4).split('.');
    const forged = `lsg_${selector}.${'A'.repeat(43)}`;
    expect((await asGuest('/members/area', forged, 'c2').expect(401)).body).toEqual(body('guest_token_unknown'));
    expect(JSON.stringify((await asGuest('/members/area', forged, 'c2')).body)).not.toContain(selector);

    const guestId = session.metadata!.litestripe_guest;
    const reissued = await t.billing.reissueGuestToken(guestId, { expiresInDays: 1 });
    expect(reissued.expiresAt?.getTime()).toBe(t.clock.now().getTime() + DAY * 1000);
    expect((await asGuest('/members/area', token, 'c3').expect(401)).body).toEqual(body('guest_token_revoked'));
    await asGuest('/members/area', reissued.token, 'c3').expect(200);
    t.clock.advance(DAY);
    expect((await asGuest('/members/area', reissued.token, 'c4').expect(401)).body).toEqual(body('guest_token_expired'));

    const fresh = await t.billing.reissueGuestToken(guestId);
    expect(fresh.expiresAt).toBeNull();
    expect(await t.billing.revokeGuestTokens(guestId)).toBe(1);
    expect((await asGuest('/members/area', fresh.token, 'c5').expect(401)).body).toEqual(body('guest_token_revoked'));
    await expect(t.service.getEntitlement({ guestToken: fresh.token })).rejects.toBeInstanceOf(GuestTokenRejectedException);
    await expect(t.billing.reissueGuestToken('nobody_with_this_id_xx')).rejects.toMatchObject({ status: 404 });
    await expect(t.billing.reissueGuestToken(guestId, { expiresInDays: -1 })).rejects.toMatchObject({ status: 400 });
  });

  it('rate-limits token guessing per client: past the limit a 429 with Retry-After, other clients unaffected', async () => {
    const { session } = await guestBuys('basic', 'member@example.com');
    const token = await successPage(session.id);
    const guess = () => `lsg_${'x'.repeat(22)}.${'y'.repeat(43)}`;
    for (let i = 0; i < 3; i++) await asGuest('/members/area', guess(), 'guesser').expect(401);
    const refused = await asGuest('/members/area', guess(), 'guesser').expect(429);
    expect(refused.body).toMatchObject({ statusCode: 429, reason: 'guest_token_attempts', retryAfterSeconds: expect.any(Number) });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Blocked before any lookup, whatever it presents; another client is not.
    await asGuest('/members/area', token, 'guesser').expect(429);
    await asGuest('/members/area', token, 'neighbour').expect(200);
    // Valid tokens never count.
    for (let i = 0; i < 5; i++) await asGuest('/members/area', token, 'regular').expect(200);
  });

  it('opens the billing portal and lists the invoices by token, on the guest’s own customer', async () => {
    const { session, completed } = await guestBuys('basic', 'member@example.com');
    const token = await successPage(session.id);
    const portal = await t.billing.createGuestBillingPortalSession(token, 'https://shop.example/account');
    expect(portal.customer).toBe(completed.customer.id);
    await expect(t.billing.createGuestBillingPortalSession('lsg_nope', 'https://shop.example/account')).rejects.toBeInstanceOf(GuestTokenRejectedException);
    await expect(t.billing.createGuestBillingPortalSession(token, 'javascript:alert(1)')).rejects.toMatchObject({ status: 400 });
    // Its invoices, and only its own: another guest's checkout is not among them.
    await guestBuys('pro', 'someone-else@example.com');
    const { invoices } = await t.billing.listInvoices({ guestToken: token });
    expect(invoices.length).toBeGreaterThan(0);
    expect(invoices.every((invoice) => invoice.subscriptionId === completed.subscription!.id)).toBe(true);
    await expect(t.billing.listInvoices({ guestToken: 'lsg_nope' })).rejects.toBeInstanceOf(GuestTokenRejectedException);
  });

  it('links the guest to the account that presents its token: the orphan claim’s path and events; the token stops working', async () => {
    const { session, subscriptionId, completed } = await guestBuys('pro', 'member@example.com');
    const token = await successPage(session.id);
    const guestId = session.metadata!.litestripe_guest;
    t.recorder.clear();

    const link = await t.billing.linkGuest(token, 'acct_member');
    expect(link).toMatchObject({ alreadyLinked: false, subscription: { id: subscriptionId, accountRef: 'acct_member' }, guest: { id: guestId, linkedAccountRef: 'acct_member' } });
    expect(t.recorder.names()).toEqual([LitestripeEvents.SubscriptionUpdated, LitestripeEvents.SubscriptionDeactivated, LitestripeEvents.SubscriptionActivated, LitestripeEvents.GuestLinked]);
    expect(t.recorder.events.at(-1)?.payload).toMatchObject({ guestId, subscriptionId, accountRef: 'acct_member', checkoutSessionId: session.id, via: 'token' });
    expect(t.fake.subscriptions.get(subscriptionId)?.metadata).toMatchObject({ client_reference_id: 'acct_member' });
    expect(await t.service.getEntitlement('acct_member')).toMatchObject({ entitled: true, plan: 'pro' });
    await expect(t.billing.createBillingPortalSession('acct_member', 'https://shop.example/account')).resolves.toMatchObject({ customer: completed.customer.id });
    expect((await asGuest('/members/area', token).expect(401)).body).toMatchObject({ reason: 'guest_linked' });

    // Again for the same account: nothing changes; for another account: refused.
    t.recorder.clear();
    expect(await t.billing.linkGuest(token, 'acct_member')).toMatchObject({ alreadyLinked: true });
    await expect(t.billing.linkGuest(token, 'acct_other')).rejects.toMatchObject({ status: 409 });
    await expect(t.billing.reissueGuestToken(guestId)).rejects.toMatchObject({ status: 409 });
    expect(t.recorder.names()).toEqual([]);
    // Stripe's event for the metadata change, when it arrives, keeps the account.
    await t.deliver(...t.fake.events.all().filter((event: Stripe.Event) => event.type === 'customer.subscription.updated'));
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: 'acct_member' });
    // A reload of the success page, and a redelivered checkout event, neither issue a token nor report a conflict.
    expect((await t.billing.syncCheckoutSession(session.id)).guest).toMatchObject({ token: null });
    await t.deliver(...t.fake.events.all().filter((event: Stripe.Event) => event.type === 'checkout.session.completed').map((event: Stripe.Event) => ({ ...event, id: `${event.id}_again` })));
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: 'acct_member' });
    expect(t.recorder.names()).not.toContain(LitestripeEvents.SubscriptionLinkConflict);
  });

  it('refuses a link the host’s validateClientReference rejects, and a bad token, changing nothing', async () => {
    const { session, subscriptionId } = await guestBuys('basic', 'member@example.com');
    const token = await successPage(session.id);
    await expect(t.billing.linkGuest(token, 'acct_banned')).rejects.toMatchObject({ status: 422 });
    await expect(t.billing.linkGuest('lsg_wrong', 'acct_member')).rejects.toBeInstanceOf(GuestTokenRejectedException);
    await expect(t.billing.linkGuest(token, 'not an account')).rejects.toMatchObject({ status: 400 });
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: `guest:${session.metadata!.litestripe_guest}` });
    await asGuest('/members/area', token).expect(200);
  });

  it('links guests in bulk by verified emails (any case), reporting each outcome', async () => {
    const first = await guestBuys('basic', 'Ada@Example.com');
    const second = await guestBuys('pro', 'ada@example.com');
    const other = await guestBuys('basic', 'bob@example.com');
    const outcomes = await t.billing.linkGuestsByEmail([
      { email: 'ada@example.com', accountRef: 'acct_ada' },
      { email: 'nobody@example.com', accountRef: 'acct_nobody' },
      { email: 'bob@example.com', accountRef: 'acct_banned' },
    ]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { email: 'ada@example.com', accountRef: 'acct_ada', guestId: first.session.metadata!.litestripe_guest, outcome: 'linked' },
        { email: 'ada@example.com', accountRef: 'acct_ada', guestId: second.session.metadata!.litestripe_guest, outcome: 'linked' },
        { email: 'nobody@example.com', accountRef: 'acct_nobody', guestId: null, outcome: 'no_guest' },
        { email: 'bob@example.com', accountRef: 'acct_banned', guestId: other.session.metadata!.litestripe_guest, outcome: 'refused', reason: expect.stringContaining('validateClientReference') },
      ]),
    );
    expect(outcomes).toHaveLength(4);
    expect((await t.service.listSubscriptions('acct_ada')).map((s) => s.subscription.id).sort()).toEqual([first.subscriptionId, second.subscriptionId].sort());
    expect(t.recorder.events.filter((event) => event.name === LitestripeEvents.GuestLinked).map((event) => (event.payload as { via: string }).via)).toEqual(['email', 'email']);
    // Run again: the linked guests are no longer candidates.
    expect(await t.billing.linkGuestsByEmail([{ email: 'ada@example.com', accountRef: 'acct_ada' }])).toEqual([{ email: 'ada@example.com', accountRef: 'acct_ada', guestId: null, outcome: 'no_guest' }]);
    await expect(t.billing.linkGuestsByEmail([{ email: 'not-an-email', accountRef: 'acct_x' }])).rejects.toMatchObject({ status: 400 });
    expect(await t.billing.findGuests({ email: 'BOB@example.com' })).toEqual([expect.objectContaining({ id: other.session.metadata!.litestripe_guest, linkedAccountRef: null })]);
  });

  it('erases a guest’s email on the orphan schedule, from the link or the end of the subscription, whichever comes first', async () => {
    const linked = await guestBuys('basic', 'linked@example.com');
    const ended = await guestBuys('basic', 'ended@example.com');
    const active = await guestBuys('basic', 'active@example.com');
    await t.billing.linkGuest(await successPage(linked.session.id), 'acct_linked');
    await t.billing.cancel({ subscriptionId: ended.subscriptionId }, { atPeriodEnd: false });
    const retention = t.app.get(RetentionJob);
    const emails = async () => (await t.dataSource.getRepository(Guest).find({ order: { email: 'ASC' } })).map((guest) => guest.email);

    t.clock.advance(30 * DAY - 60);
    expect(await retention.sweep()).toMatchObject({ guestEmails: 0 });
    t.clock.advance(120);
    expect(await retention.sweep()).toMatchObject({ guestEmails: 2 });
    expect(await emails()).toEqual(['active@example.com', null, null]);
    // A reload of the success page never brings an erased email back.
    await t.billing.syncCheckoutSession(ended.session.id);
    expect(await emails()).toEqual(['active@example.com', null, null]);
    expect(await retention.sweep()).toMatchObject({ guestEmails: 0 });
    expect(active.subscriptionId).toBeDefined();
  });

  it('refuses bad and hostile checkout input with a clear 400, and a guest’s session synced for an account with a 403', async () => {
    const base = { plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL };
    await expect(t.billing.createGuestCheckoutSession({ ...base, metadata: { litestripe_guest: 'AAAAAAAAAAAAAAAAAAAAAA' } })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('litestripe_guest') });
    await expect(t.billing.createCheckoutSession({ ...base, accountRef: 'acct_1', metadata: { litestripe_guest: 'AAAAAAAAAAAAAAAAAAAAAA' } })).rejects.toMatchObject({ status: 400 });
    await expect(t.billing.createGuestCheckoutSession({ ...base, email: 'no email' })).rejects.toMatchObject({ status: 400 });
    await expect(t.billing.createGuestCheckoutSession({ ...base, plan: 'nope' })).rejects.toMatchObject({ status: 400 });
    await expect(t.billing.createGuestCheckoutSession({ ...base, successUrl: 'ftp://x' })).rejects.toMatchObject({ status: 400 });
    const { session } = await guestBuys('basic', 'member@example.com');
    await expect(t.billing.syncCheckoutSession(session.id, { accountRef: 'acct_1' })).rejects.toMatchObject({ status: 403, message: expect.stringContaining('linkGuest') });
  });

  it('a payment link cannot pose as a guest: a guest-shaped reference is an orphan, a guest mark beside a reference an account’s checkout', async () => {
    const { session: guestSession } = await guestBuys('basic', 'victim@example.com');
    const guestId = guestSession.metadata!.litestripe_guest;
    const client = t.app.get<Stripe>(getStripeClientToken());
    const posing = await client.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: t.prices.basic.id, quantity: 1 }],
      success_url: 'https://shop.example/thanks',
      client_reference_id: `guest:${guestId}`,
    });
    const posed = t.fake.completeCheckoutSession(posing.id);
    await t.deliver(...posed.events);
    expect(await t.row(posed.subscription!.id)).toMatchObject({ accountRef: null });
    const marked = await client.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: t.prices.basic.id, quantity: 1 }],
      success_url: 'https://shop.example/thanks',
      client_reference_id: 'acct_payer',
      metadata: { litestripe_guest: guestId },
    });
    const paid = t.fake.completeCheckoutSession(marked.id);
    await t.deliver(...paid.events);
    expect(await t.row(paid.subscription!.id)).toMatchObject({ accountRef: 'acct_payer' });
    expect(await t.dataSource.getRepository(Guest).count()).toBe(1);
    expect((await t.dataSource.getRepository(StripeSubscription).findBy({ accountRef: `guest:${guestId}` })).length).toBe(1);
  });

  it('links guests from a file of verified emails with the CLI’s `guests link`, printing no email', async () => {
    const ada = await guestBuys('basic', 'ada@example.com');
    await guestBuys('basic', 'bob@example.com');
    const file = join(await mkdtemp(join(tmpdir(), 'litestripe-guests-')), 'verified.csv');
    await writeFile(file, 'email,accountRef\nADA@example.com,acct_ada\nnobody@example.com,acct_nobody\nbroken line\n');
    const options: LitestripeModuleOptions = { secretKey: 'sk_test_litestripe', webhookUuid: '0b7e4a36-4a53-4f57-8d8c-2f7c2ad2d9b1', webhookSecret: WEBHOOK_SECRET, stripe: t.fake.clientConfig(), clock: t.clock };
    const cliModule = (): DynamicModule => ({
      module: class GuestsCliHostModule {},
      imports: [
        TypeOrmModule.forRootAsync({ useFactory: async () => ({ ...typeOrmOptions(await testDatabaseUrl()), entities: [], autoLoadEntities: true }) }),
        EventEmitterModule.forRoot(),
        LitestripeModule.forRoot(options),
      ],
    });
    let out = '';
    const stdout = { isTTY: false, columns: 120, write: (chunk: string) => ((out += chunk), true) };
    const quiet = () => undefined;
    const logger = { log: quiet, warn: quiet, error: quiet, debug: quiet, verbose: quiet, fatal: quiet };
    const code = await runLitestripeSync(cliModule(), ['sync', 'guests', 'link', file], { stdout, stderr: stdout, handleSignals: false, logger });
    expect(out).toContain('Line 4: not an email,accountRef pair; skipped.');
    expect(out).toContain(`guest ${ada.session.metadata!.litestripe_guest} → account acct_ada: linked`);
    expect(out).toContain('guests link: 1 linked, 0 already linked, 0 refused; 1 email(s) matched no unlinked guest.');
    expect(out).not.toContain('@example.com');
    expect(code).toBe(1); // the unreadable line
    expect(await t.row(ada.subscriptionId)).toMatchObject({ accountRef: 'acct_ada' });
  });
});

describe.each<Adapter>(['express', 'fastify'])('guests on %s with the token in a cookie, counted by the request’s IP', (adapter) => {
  let t: BillingHost;
  beforeAll(async () => {
    t = await startBillingHost({
      adapter,
      isGlobal: true,
      imports: [MembersModule],
      options: { guests: { tokenFrom: { cookie: 'guest_token' }, tokenAttempts: { limit: 2, windowSeconds: 60 } } },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  it('reads the token from the cookie header, and limits guesses from one IP', async () => {
    const session = await t.billing.createGuestCheckoutSession({ plan: 'basic', successUrl: SUCCESS, cancelUrl: CANCEL });
    await t.deliver(...t.fake.completeCheckoutSession(session.id).events);
    const { guest } = await t.billing.syncCheckoutSession(session.id);
    const cookie = (token: string) => t.http().get('/members/area').set('cookie', `theme=dark; guest_token=${encodeURIComponent(token)}`);
    expect((await cookie(guest!.token!).expect(200)).body).toEqual({ accountRef: `guest:${guest!.guestId}`, plan: 'basic' });
    expect((await t.http().get('/members/area').expect(401)).body).toMatchObject({ reason: 'guest_token_missing' });
    await cookie('lsg_guess_one').expect(401);
    await cookie('lsg_guess_two').expect(401);
    expect((await cookie('lsg_guess_three').expect(429)).body).toMatchObject({ reason: 'guest_token_attempts' });
  });
});
