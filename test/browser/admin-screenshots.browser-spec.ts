import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, AdminHost, startAdminHost } from '../support/admin-host';
import { STAFF_SIGN_IN } from './support/staff-sign-in';
import { launchChromium, newVisitor } from './support/chromium';

/**
 * The README's pictures of the admin, taken from a host with a plausible day's problems in it. Its
 * ids and dates differ on every run, so they replace docs/admin/ only with UPDATE_SCREENSHOTS=1.
 */
const DOCS = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'admin') : join(tmpdir(), 'litestripe-admin-screenshots');

let browser: Browser;
let t: AdminHost;
let page: Page;
let repairOutbox: () => void = () => undefined;
const scene = {} as { ada: string; outboxEntry: string; failedEvents: string[]; orphanId: number };

beforeAll(async () => {
  [browser, t] = await Promise.all([launchChromium(), startAdminHost('express', STAFF_SIGN_IN)]);
  const ada = await t.subscribe('acct_ada', { plan: 'basic' });
  scene.ada = ada.subscription!.id;
  await t.stripeChanges(scene.ada, { price: t.prices.proMonthly.id });
  const outboxEntry = await t.failingOutboxEntry('acct_grace');
  scene.outboxEntry = outboxEntry.id;
  repairOutbox = outboxEntry.repair;
  scene.failedEvents = (await t.failedCheckout('acct_lin')).eventIds;
  scene.orphanId = (await t.orphanedPayment('jordan.lee@example.com')).id;

  const visitor = await newVisitor(browser, t.origin);
  page = await visitor.newPage();
  await page.goto(`/sign-in?next=${ADMIN}`);
  await page.getByLabel('Staff id').fill('staff_1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`**${ADMIN}`);
  mkdirSync(DOCS, { recursive: true });
});
afterAll(async () => {
  repairOutbox();
  await browser?.close();
  await t?.close();
});

/** A full-page PNG of what the browser shows, 1280 px wide, saved as <DOCS>/<name>.png. */
async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ path: join(DOCS, `${name}.png`), fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(1280);
}

it('lookup: an account’s entitlement, its subscription and its timeline', async () => {
  await page.goto(`${ADMIN}?q=acct_ada`);
  expect(await page.locator(`tr[data-subscription="${scene.ada}"] td.ok`).textContent()).toBe('yes: active');
  await screenshot('lookup');
});

it('events: the recent events, the failed ones with their error and a replay button', async () => {
  await page.goto(`${ADMIN}/events`);
  expect(await page.locator('tr.failed').count()).toBeGreaterThan(0);
  expect(await page.getByRole('button', { name: 'Replay from Stripe' }).count()).toBe(await page.locator('tr.failed').count());
  await screenshot('events');
});

it('queues: the outbox’s failed entry with a retry button, and the inbox', async () => {
  await page.goto(`${ADMIN}/queues`);
  expect(await page.locator(`tr[data-outbox="${scene.outboxEntry}"] td.error-text`).textContent()).toBe('Error: mailer down');
  await screenshot('queues');
});

it('unclaimed: the orphaned payment with its payer’s email and a claim form', async () => {
  await page.goto(`${ADMIN}/unclaimed`);
  expect(await page.locator(`tr[data-orphan="${scene.orphanId}"]`).textContent()).toContain('jordan.lee@example.com');
  await screenshot('unclaimed');
});
