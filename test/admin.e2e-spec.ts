import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DomainEventOutboxEntry, LitestripeAdminModule, LitestripeConfigError, LitestripeEvents, LitestripeModule, StripeEventLog } from '@litestripe/nestjs';
import { ADMIN, AdminHost, startAdminHost } from './support/admin-host';
import type { Adapter } from './support/test-app';
import { LogCapture } from './support/log-capture';
import { StaffGuard } from './support/staff.guard';
import { RecordingBroker } from './support/recording-broker';

describe.each<Adapter>(['express', 'fastify'])('LitestripeAdminModule (%s)', (adapter) => {
  let t: AdminHost;
  const logs = new LogCapture();
  const mq = new RecordingBroker('mq');

  beforeAll(async () => {
    t = await startAdminHost(adapter, { guard: StaffGuard }, [mq]);
    // After the app is created: Nest's testing app turns logging off at creation.
    logs.install();
  });
  afterAll(async () => {
    await t.close();
    logs.uninstall();
  });
  beforeEach(async () => {
    await t.reset();
    logs.lines.length = 0;
  });

  /** An operator's session: the staff header on every request, and the CSRF cookie and token of `api/csrf`. */
  async function operator(staff = 'staff_1') {
    const agent = t.http();
    const csrf = await agent.get(`${ADMIN}/api/csrf`).set('x-staff', staff);
    expect(csrf.status).toBe(200);
    const cookie = String(csrf.headers['set-cookie']).split(';')[0];
    const token: string = csrf.body.token;
    return {
      get: (path: string) => agent.get(`${ADMIN}${path === '' || path.startsWith('?') ? '' : '/'}${path}`).set('x-staff', staff).set('cookie', cookie),
      post: (path: string, body: object = {}) => agent.post(`${ADMIN}/${path}`).set('x-staff', staff).set('cookie', cookie).set('x-csrf-token', token).send(body),
      cookie,
      token,
    };
  }

  const adminLogs = () => logs.lines.filter((line) => line.message.includes('actor ')).map((line) => line.message);

  describe('who gets in', () => {
    it('refuses every page and endpoint without the host guard’s consent', async () => {
      for (const path of ['', '/events', '/queues', '/unclaimed', '/api/lookup?q=acct_1', '/api/events', '/api/outbox', '/api/unclaimed', '/api/csrf', '/assets/admin.js']) {
        expect((await t.http().get(`${ADMIN}${path}`)).status).toBe(403);
      }
      expect((await t.http().post(`${ADMIN}/api/sync`).send({ subscription: 'sub_1' })).status).toBe(403);
    });

    it('refuses a change without the CSRF token, with a token of another session, or as a form post', async () => {
      const session = await operator();
      const other = await operator();
      const path = `${ADMIN}/api/sync`;
      const noToken = await t.http().post(path).set('x-staff', 'staff_1').set('cookie', session.cookie).send({ subscription: 'sub_1' });
      expect(noToken.status).toBe(403);
      expect(noToken.body.message).toMatch(/CSRF/);
      const crossed = await t.http().post(path).set('x-staff', 'staff_1').set('cookie', session.cookie).set('x-csrf-token', other.token).send({ subscription: 'sub_1' });
      expect(crossed.status).toBe(403);
      const noCookie = await t.http().post(path).set('x-staff', 'staff_1').set('x-csrf-token', session.token).send({ subscription: 'sub_1' });
      expect(noCookie.status).toBe(403);
      const form = await t.http().post(path).set('x-staff', 'staff_1').set('cookie', session.cookie).set('x-csrf-token', session.token).type('form').send('subscription=sub_1');
      expect(form.status).toBe(415);
      expect(adminLogs()).toEqual([]);
    });

    it('sets the CSRF cookie HttpOnly and SameSite=Strict, and keeps a valid one', async () => {
      const first = await t.http().get(`${ADMIN}/api/csrf`).set('x-staff', 'staff_1');
      expect(String(first.headers['set-cookie'])).toMatch(/^litestripe_admin_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
      const cookie = String(first.headers['set-cookie']).split(';')[0];
      const again = await t.http().get(`${ADMIN}/api/csrf`).set('x-staff', 'staff_1').set('cookie', cookie);
      expect(again.headers['set-cookie']).toBeUndefined();
      expect(again.body.token).toBe(first.body.token);
    });
  });

  describe('lookup', () => {
    it('shows an account’s entitlement and reason, its rows, and the events that shaped them, by account, customer or subscription', async () => {
      const completed = await t.subscribe('acct_1', { plan: 'pro' });
      const subscriptionId = completed.subscription!.id;
      const customerId = String(completed.subscription!.customer);
      const session = await operator();
      for (const q of ['acct_1', customerId, subscriptionId]) {
        const found = await session.get(`api/lookup?q=${q}`);
        expect(found.status).toBe(200);
        expect(found.body.accounts).toEqual([expect.objectContaining({ accountRef: 'acct_1', entitled: true, reason: 'active', plan: 'pro' })]);
        expect(found.body.subscriptions).toEqual([expect.objectContaining({ plan: 'pro', access: expect.objectContaining({ entitled: true, reason: 'active' }), subscription: expect.objectContaining({ id: subscriptionId }) })]);
        expect(found.body.events.map((event: { id: string }) => event.id).sort()).toEqual(completed.events.map((event) => event.id).sort());
      }
      const canceled = await t.stripeChanges(subscriptionId, { status: 'canceled' });
      const after = await session.get(`api/lookup?q=acct_1`);
      expect(after.body.accounts[0]).toMatchObject({ entitled: false, reason: 'canceled' });
      expect(after.body.events[0]).toMatchObject({ id: canceled.at(-1)!.id, outcome: 'processed', subscriptionId, customerId });
    });

    it('reads both payload shapes of an invoice into the timeline', async () => {
      const completed = await t.subscribe('acct_1', { plan: 'basic' });
      const subscriptionId = completed.subscription!.id;
      const invoice = completed.events.find((event) => event.type.startsWith('invoice.'));
      expect(invoice).toBeDefined();
      const logged = await t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id: invoice!.id });
      expect(logged).toMatchObject({ subscriptionId, customerId: String(completed.subscription!.customer) });
    });

    it('answers a malformed query with a 400 that says what to give, and an unknown account with no rows', async () => {
      const session = await operator();
      const bad = await session.get(`api/lookup?q=${encodeURIComponent('<script>')}`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/account reference, a customer \(cus_…\) or a subscription \(sub_…\)/);
      const page = await session.get(`?q=${encodeURIComponent('"><script>alert(1)</script>')}`);
      expect(page.status).toBe(400);
      expect(page.text).not.toContain('<script>alert(1)');
      expect(page.text).toContain('&lt;script&gt;alert(1)');
      const unknown = await session.get('api/lookup?q=acct_nobody');
      expect(unknown.body).toMatchObject({ accounts: [expect.objectContaining({ entitled: false, reason: 'no_subscription' })], subscriptions: [], events: [] });
    });
  });

  describe('the event log', () => {
    it('lists a failed event with its error, replays it from Stripe once, and logs who did it', async () => {
      await t.failedCheckout('acct_replay');
      const operatorSession = await operator('staff_7');
      const failed = await operatorSession.get('api/events?filter=failed');
      const failedIds: string[] = failed.body.map((event: { id: string }) => event.id);
      expect(failedIds.length).toBeGreaterThan(0);
      expect(failed.body[0].lastError).toMatch(/account directory unreachable/);
      expect(await t.service.isEntitled('acct_replay')).toBe(false);

      for (const id of failedIds) {
        const replay = await operatorSession.post(`api/events/${id}/replay`);
        expect(replay.status).toBe(200);
        expect(replay.body).toMatchObject({ id, replayed: true });
      }
      expect(await t.service.isEntitled('acct_replay')).toBe(true);
      expect((await operatorSession.get('api/events?filter=failed')).body).toEqual([]);
      const again = await operatorSession.post(`api/events/${failedIds[0]}/replay`);
      expect(again.body).toMatchObject({ id: failedIds[0], replayed: false, outcome: 'processed' });
      expect(adminLogs().filter((line) => line.includes('replay of event'))).toHaveLength(failedIds.length + 1);
      expect(adminLogs().every((line) => line.startsWith('actor staff_7: '))).toBe(true);
    });

    it('says so when Stripe no longer has the event, and refuses ids that are not event ids', async () => {
      await t.failedCheckout('acct_1');
      const session = await operator();
      const id: string = (await session.get('api/events?filter=failed')).body[0].id;
      t.fake.reset({ keepCatalog: true }); // Stripe's 30 days are over: it has the event no more
      const gone = await session.post(`api/events/${id}/replay`);
      expect(gone.status).toBe(410);
      expect(gone.body.message).toMatch(/30 days/);
      expect((await session.post('api/events/evt_unknown/replay')).status).toBe(404);
      expect((await session.post(`api/events/${encodeURIComponent("evt_1' OR 1=1")}/replay`)).status).toBe(400);
      expect((await session.get('api/events?filter=everything')).status).toBe(400);
    });
  });

  describe('the outbox', () => {
    it('lists failed entries with depth and lag, retries one until it is delivered, and a second retry changes nothing', async () => {
      const failing = await t.failingOutboxEntry('acct_out');
      try {
        const session = await operator();
        const view = await session.get('api/outbox');
        expect(view.body.failed).toEqual([expect.objectContaining({ name: LitestripeEvents.SubscriptionActivated, attempts: 2, lastError: 'Error: mailer down' })]);
        expect(view.body.status).toMatchObject({ failed: 1 });
        expect(JSON.stringify(view.body)).not.toContain('payload');
        const id: string = view.body.failed[0].id;

        failing.repair();
        const retried = await session.post(`api/outbox/${encodeURIComponent(id)}/retry`);
        expect(retried.body).toEqual({ id, destination: 'in-process', retried: true, delivered: true });
        expect(await t.dataSource.getRepository(DomainEventOutboxEntry).findOneByOrFail({ id })).toMatchObject({ failedAt: null });
        const again = await session.post(`api/outbox/${encodeURIComponent(id)}/retry`);
        expect(again.body).toEqual({ id, destination: 'in-process', retried: false, delivered: true });
        expect((await session.post('api/outbox/nope/retry')).status).toBe(404);
      } finally {
        failing.repair();
      }
    });

    it('lists each broker apart, and retries an entry at the broker named', async () => {
      mq.rejectingNames.add(LitestripeEvents.SubscriptionActivated);
      try {
        const failing = await t.failingOutboxEntry('acct_mq');
        failing.repair();
        const session = await operator();
        const view = await session.get('api/outbox');
        expect(view.body.status).toMatchObject({ failed: 1 });
        expect(view.body.brokers).toEqual([
          { destination: 'mq', status: expect.objectContaining({ failed: 1 }), failed: [expect.objectContaining({ name: LitestripeEvents.SubscriptionActivated, attempts: 2 })] },
        ]);
        expect((await session.get('queues')).text).toContain('Outbox → broker mq');
        const id: string = view.body.brokers[0].failed[0].id;
        expect((await session.post(`api/outbox/${encodeURIComponent(id)}/retry`, { destination: 'kafka' })).status).toBe(400);
        expect((await session.post(`api/outbox/${encodeURIComponent(id)}/retry`, { destination: 5 })).status).toBe(400);

        mq.rejectingNames.clear();
        const retried = await session.post(`api/outbox/${encodeURIComponent(id)}/retry`, { destination: 'mq' });
        expect(retried.body).toEqual({ id, destination: 'mq', retried: true, delivered: true });
        expect(mq.ids()).toContain(id);
        expect(adminLogs().some((line) => line.startsWith(`actor staff_1: retry of outbox entry ${id} at mq: `))).toBe(true);
      } finally {
        mq.rejectingNames.clear();
      }
    });
  });

  describe('the inbox', () => {
    it('shows its mode, depth, lag and failed events; a retry of an event that is not a retryable failure queues nothing', async () => {
      const session = await operator();
      const view = await session.get('api/inbox');
      expect(view.body).toEqual({ status: { webhookProcessing: 'inline', depth: 0, maxDepth: expect.any(Number), lagMs: 0, failed: 0 }, failed: [] });
      const retried = await session.post('api/inbox/evt_nothing/retry');
      expect(retried.body).toEqual({ id: 'evt_nothing', queued: false });
      expect((await session.post('api/inbox/nothing/retry')).status).toBe(400);
    });
  });

  describe('orphans and guests', () => {
    it('lists open orphans with their email, claims one for an account checked by validateClientReference, idempotently; no log line holds the email', async () => {
      const orphan = await t.orphanedPayment('payer@example.com');
      const session = await operator();
      const open = await session.get('api/unclaimed');
      expect(open.body.orphans).toEqual([expect.objectContaining({ id: orphan.id, email: 'payer@example.com' })]);
      const page = await session.get('unclaimed');
      expect(page.text).toContain('payer@example.com');

      expect((await session.post(`api/orphans/${orphan.id}/claim`, { accountRef: 'acct_unknown_1' })).status).toBe(422);
      expect((await session.post(`api/orphans/${orphan.id}/claim`, {})).status).toBe(400);
      // An operator pasting the payer's email where the account goes: refused, and the log masks it.
      expect((await session.post(`api/orphans/${orphan.id}/claim`, { accountRef: 'payer@example.com' })).status).toBe(400);
      const claimed = await session.post(`api/orphans/${orphan.id}/claim`, { accountRef: 'acct_found' });
      expect(claimed.body).toEqual({ orphanId: orphan.id, subscriptionId: orphan.subscriptionId, accountRef: 'acct_found', alreadyClaimed: false });
      expect(await t.service.isEntitled('acct_found')).toBe(true);
      expect((await session.post(`api/orphans/${orphan.id}/claim`, { accountRef: 'acct_found' })).body.alreadyClaimed).toBe(true);
      expect((await session.post(`api/orphans/${orphan.id}/claim`, { accountRef: 'acct_other' })).status).toBe(409);
      expect((await session.get('api/unclaimed')).body.orphans).toEqual([]);
      expect(logs.lines.map((line) => line.message).join('\n')).not.toMatch(/@example\.com/);
      expect(adminLogs().some((line) => line.includes(`claim of orphaned payment #${orphan.id} for account acct_found`))).toBe(true);
    });

    it('links an unlinked guest purchase to an account by the guest’s id', async () => {
      const guestSession = await t.billing.createGuestCheckoutSession({ plan: 'basic', successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no', email: 'guest@example.com' });
      const completed = t.fake.completeCheckoutSession(guestSession.id);
      await t.deliver(...completed.events);
      const session = await operator();
      const open = await session.get('api/unclaimed');
      expect(open.body.guests).toEqual([expect.objectContaining({ email: 'guest@example.com', subscriptionId: completed.subscription!.id })]);
      const guestId: string = open.body.guests[0].id;
      t.recorder.clear();
      const linked = await session.post(`api/guests/${guestId}/claim`, { accountRef: 'acct_member' });
      expect(linked.body).toEqual({ guestId, subscriptionId: completed.subscription!.id, accountRef: 'acct_member', alreadyLinked: false });
      expect(t.recorder.events.find((event) => event.name === LitestripeEvents.GuestLinked)?.payload).toMatchObject({ guestId, via: 'operator' });
      expect(await t.service.isEntitled('acct_member')).toBe(true);
      expect((await session.post(`api/guests/${guestId}/claim`, { accountRef: 'acct_member' })).body.alreadyLinked).toBe(true);
      expect((await session.post(`api/guests/not-a-guest/claim`, { accountRef: 'acct_member' })).status).toBe(400);
      expect((await session.get('api/unclaimed')).body.guests).toEqual([]);
    });
  });

  describe('sync', () => {
    it('syncs one subscription or customer from Stripe, and refuses anything else', async () => {
      const completed = await t.subscribe('acct_sync', { plan: 'basic' }, { deliver: false });
      const session = await operator();
      const synced = await session.post('api/sync', { subscription: completed.subscription!.id });
      expect(synced.status).toBe(200);
      expect(synced.body).toMatchObject({ created: 1, failed: 0 });
      expect(await t.service.isEntitled('acct_sync')).toBe(true);
      const customer = await session.post('api/sync', { customer: String(completed.subscription!.customer) });
      expect(customer.body).toMatchObject({ unchanged: 1, failed: 0 });
      for (const body of [{}, { subscription: 'cus_1' }, { subscription: 'sub_1', customer: 'cus_1' }, { customer: 42 }]) {
        expect((await session.post('api/sync', body)).status).toBe(400);
      }
    });
  });

  it('serves its pages with the CSRF token in the markup, its script and its style, under the host’s path', async () => {
    await t.subscribe('acct_page', { plan: 'basic' });
    const session = await operator();
    for (const path of ['', '?q=acct_page', 'events', 'events?filter=failed', 'queues', 'unclaimed']) {
      const page = await session.get(path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain(`<meta name="csrf-token" content="${session.token}">`);
      expect(page.text).toContain(`<meta name="litestripe-admin-base" content="${ADMIN}">`);
    }
    expect((await session.get('assets/admin.js')).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await session.get('assets/admin.css')).headers['content-type']).toMatch(/^text\/css/);
  });
});

describe('LitestripeAdminModule at start-up', () => {
  it('is closed without a guard of the host: forRoot says so', () => {
    expect(() => LitestripeAdminModule.forRoot({} as never)).toThrow(LitestripeConfigError);
    expect(() => LitestripeAdminModule.forRoot({ guard: [] })).toThrow(/admin.guard" is missing/);
    expect(() => LitestripeAdminModule.forRoot({ guard: 'yes' as never })).toThrow(/is not a guard class or instance/);
    expect(() => LitestripeAdminModule.forRoot({ guard: StaffGuard, path: '../x' })).toThrow(/admin.path/);
    expect(() => LitestripeAdminModule.forRoot({ guard: StaffGuard, actor: 'me' as never })).toThrow(/admin.actor/);
    expect(() => LitestripeAdminModule.forRoot({ guard: StaffGuard, gaurd: StaffGuard } as never)).toThrow(/admin.gaurd" is not an option/);
  });

  it('fails to start without LitestripeModule in the app, saying what to import', async () => {
    @Module({ imports: [LitestripeAdminModule.forRoot({ guard: StaffGuard })] })
    class HostWithoutLitestripe {}
    const moduleRef = await Test.createTestingModule({ imports: [HostWithoutLitestripe] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(/Import LitestripeModule.forRoot\(\)/);
    await app.close();
    expect(LitestripeModule).toBeDefined();
  });
});
