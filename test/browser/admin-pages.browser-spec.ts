import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DomainEventOutboxEntry, OrphanedPayment, StripeEventLog } from '@litestripe/nestjs';
import type { Adapter } from '../support/test-app';
import { ADMIN, AdminHost, startAdminHost } from '../support/admin-host';
import { STAFF_SIGN_IN } from './support/staff-sign-in';
import { launchChromium, newVisitor } from './support/chromium';

const PAGES = ['', '/events', '/events?filter=failed', '/queues', '/unclaimed'];

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** A host, and a fresh browser profile for each test (no session until it signs in). */
function adminHost(adapter: Adapter): { readonly t: AdminHost; readonly visitor: BrowserContext } {
  const state = {} as { t: AdminHost; visitor: BrowserContext };
  beforeAll(async () => {
    state.t = await startAdminHost(adapter, STAFF_SIGN_IN);
  });
  afterAll(() => state.t?.close());
  beforeEach(async () => {
    await state.t.reset();
    state.visitor = await newVisitor(browser, state.t.origin);
  });
  afterEach(() => state.visitor?.close());
  return state;
}

/** Signs in on the host's sign-in form, as a staff member does, and lands on the admin's lookup page. */
async function signIn(visitor: BrowserContext, staff = 'staff_1'): Promise<Page> {
  const page = await visitor.newPage();
  await page.goto(`/sign-in?next=${ADMIN}`);
  await page.getByLabel('Staff id').fill(staff);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${ADMIN}`);
  await page.getByRole('heading', { name: 'Lookup' }).waitFor();
  return page;
}

async function lookUp(page: Page, query: string): Promise<void> {
  await page.getByLabel('account, customer or subscription').fill(query);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.waitForURL(`**${ADMIN}?q=${query}`);
}

/** What an action's `<output>` says once the answer is in. */
async function answerOf(form: ReturnType<Page['locator']>): Promise<{ done: boolean; text: string }> {
  const output = form.locator('output.done, output.refused');
  await output.waitFor();
  return { done: (await output.getAttribute('class')) === 'done', text: (await output.textContent()) ?? '' };
}

describe('the admin pages in Chromium (Express)', () => {
  const host = adminHost('express');

  it('are refused without the host guard’s consent, and open once signed in', async () => {
    const page = await host.visitor.newPage();
    for (const path of PAGES) {
      const response = await page.goto(`${ADMIN}${path}`);
      expect(response?.status()).toBe(403);
      expect(await page.content()).not.toContain('litestripe admin');
    }
    const signedIn = await signIn(host.visitor);
    for (const path of PAGES) expect((await signedIn.goto(`${ADMIN}${path}`))?.status()).toBe(200);
  });

  it('looks up an account: its entitlement and why, its subscription row, the timeline of its events', async () => {
    const { t } = host;
    const completed = await t.subscribe('acct_ada', { plan: 'pro' });
    const subscriptionId = completed.subscription!.id;
    const page = await signIn(host.visitor);
    await lookUp(page, 'acct_ada');

    const card = page.locator('dl[data-account="acct_ada"]');
    expect(await card.locator('dd.ok').textContent()).toBe('yes');
    expect(await card.textContent()).toContain('active');
    const row = page.locator(`tr[data-subscription="${subscriptionId}"]`);
    expect(await row.locator('td').nth(3).textContent()).toBe('active');
    expect(await row.locator('td').nth(4).textContent()).toBe('pro');
    expect(await row.locator('td.ok').textContent()).toBe('yes: active');
    const timeline = page.locator('section', { has: page.getByRole('heading', { name: 'Timeline' }) }).locator('tr[data-event]');
    const shown = await timeline.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event')));
    expect(shown.sort()).toEqual(completed.events.map((event) => event.id).sort());
  });

  it('replays failed events from the Events → Failed tab, after which they are processed and the account is entitled', async () => {
    const { t } = host;
    const { subscriptionId } = await t.failedCheckout('acct_lin');
    const failedIds = (await t.dataSource.getRepository(StripeEventLog).findBy({ outcome: 'failed' })).map((event) => event.id);
    expect(failedIds.length).toBeGreaterThan(0);
    const page = await signIn(host.visitor);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('link', { name: 'Failed' }).click();
    await page.getByRole('heading', { name: 'Failed events' }).waitFor();
    const rows = page.locator('tr.failed');
    expect((await rows.evaluateAll((found) => found.map((row) => row.getAttribute('data-event')))).sort()).toEqual([...failedIds].sort());
    expect(await rows.first().locator('td.error-text').textContent()).toContain('account directory unreachable');

    for (const id of failedIds) {
      const form = page.locator(`tr[data-event="${id}"] form.action`);
      await form.getByRole('button', { name: 'Replay from Stripe' }).click();
      const answer = await answerOf(form);
      expect(answer).toEqual({ done: true, text: expect.stringMatching(/^Done: .*"replayed":true/) });
    }
    const log = await t.dataSource.getRepository(StripeEventLog).findBy(failedIds.map((id) => ({ id })));
    expect(log.map((event) => event.outcome)).toEqual(failedIds.map(() => 'processed'));
    expect(await t.row(subscriptionId)).toMatchObject({ accountRef: 'acct_lin', status: 'active' });
    expect(await t.service.isEntitled('acct_lin')).toBe(true);
    await page.reload();
    expect(await page.locator('main').textContent()).toContain('No events.');
  });

  it('retries a failed outbox entry on the “Outbox & inbox” page until it is delivered', async () => {
    const { t } = host;
    const entry = await t.failingOutboxEntry('acct_grace');
    try {
      const page = await signIn(host.visitor);
      await page.getByRole('link', { name: 'Outbox & inbox' }).click();
      const row = page.locator(`tr[data-outbox="${entry.id}"]`);
      expect(await row.locator('td.error-text').textContent()).toBe('Error: mailer down');
      expect(await page.locator('p.status').first().textContent()).toMatch(/failed: 1$/);

      entry.repair();
      await row.getByRole('button', { name: 'Retry' }).click();
      expect(await answerOf(row)).toEqual({ done: true, text: `Done: ${JSON.stringify({ id: entry.id, destination: 'in-process', retried: true, delivered: true })}` });
      const stored = await t.dataSource.getRepository(DomainEventOutboxEntry).findOneByOrFail({ id: entry.id });
      expect(stored.deliveredAt).toBeInstanceOf(Date);
      expect(stored.failedAt).toBeNull();
    } finally {
      entry.repair();
    }
  });

  it('claims an orphaned payment for the account typed in on “Orphans & guests”', async () => {
    const { t } = host;
    const orphan = await t.orphanedPayment('jordan.lee@example.com');
    const page = await signIn(host.visitor);
    await page.getByRole('link', { name: 'Orphans & guests' }).click();
    const row = page.locator(`tr[data-orphan="${orphan.id}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe('jordan.lee@example.com');

    await row.getByLabel('account reference').fill('acct_jordan');
    await row.getByRole('button', { name: 'Claim' }).click();
    expect(await answerOf(row)).toEqual({ done: true, text: expect.stringContaining('"accountRef":"acct_jordan","alreadyClaimed":false') });
    expect((await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id: orphan.id })).resolvedAt).toBeInstanceOf(Date);
    expect(await t.row(orphan.subscriptionId)).toMatchObject({ accountRef: 'acct_jordan' });
    await page.reload();
    expect(await page.locator(`tr[data-orphan="${orphan.id}"]`).count()).toBe(0);
  });

  it('shows the refusal when validateClientReference rejects the account, and changes nothing', async () => {
    const { t } = host;
    const orphan = await t.orphanedPayment('sam.rivera@example.com');
    const page = await signIn(host.visitor);
    await page.goto(`${ADMIN}/unclaimed`);
    const row = page.locator(`tr[data-orphan="${orphan.id}"]`);
    await row.getByLabel('account reference').fill('acct_unknown_1');
    await row.getByRole('button', { name: 'Claim' }).click();
    expect(await answerOf(row)).toEqual({ done: false, text: `validateClientReference rejected account acct_unknown_1; orphaned payment #${orphan.id} stays open.` });
    expect((await t.dataSource.getRepository(OrphanedPayment).findOneByOrFail({ id: orphan.id })).resolvedAt).toBeNull();
    expect((await t.row(orphan.subscriptionId))?.accountRef).toBeNull();
  });
});

describe('the admin pages in Chromium (Fastify)', () => {
  const host = adminHost('fastify');

  it('are refused before sign-in; once signed in, a lookup shows the account and a claim goes through', async () => {
    const { t } = host;
    const completed = await t.subscribe('acct_ada', { plan: 'basic' });
    const orphan = await t.orphanedPayment('jordan.lee@example.com');
    const anonymous = await host.visitor.newPage();
    expect((await anonymous.goto(ADMIN))?.status()).toBe(403);

    const page = await signIn(host.visitor);
    await lookUp(page, 'acct_ada');
    expect(await page.locator(`tr[data-subscription="${completed.subscription!.id}"] td.ok`).textContent()).toBe('yes: active');
    await page.getByRole('link', { name: 'Orphans & guests' }).click();
    const row = page.locator(`tr[data-orphan="${orphan.id}"]`);
    await row.getByLabel('account reference').fill('acct_jordan');
    await row.getByRole('button', { name: 'Claim' }).click();
    expect((await answerOf(row)).done).toBe(true);
    expect(await t.row(orphan.subscriptionId)).toMatchObject({ accountRef: 'acct_jordan' });
  });
});
