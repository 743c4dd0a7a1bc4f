import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

const DAY = 86_400;
/** 2027-01-15T00:00:00Z; the first period ends 2027-02-15 (31 days). */
const T0 = 1_799_971_200;
const PERIOD_END = Date.UTC(2027, 1, 15) / 1000;

describe('FakeStripe invoices: the list, hosted pages and the preview of a change', () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  let basic: Stripe.Price;
  let pro: Stripe.Price;
  let yearly: Stripe.Price;
  let customer: Stripe.Customer;
  let subscription: Stripe.Subscription;

  beforeAll(async () => {
    fake = await FakeStripe.start({ now: () => T0 });
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(async () => {
    fake.reset();
    basic = fake.seedPrice({ nickname: 'Basic', unitAmount: 900 });
    pro = fake.seedPrice({ nickname: 'Pro', unitAmount: 2900 });
    yearly = fake.seedPrice({ nickname: 'Pro yearly', unitAmount: 29_000, interval: 'year' });
    customer = await stripe.customers.create({ email: 'invoices@example.com' });
    subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id, quantity: 2 }] });
  });

  const proLine = (invoice: Stripe.Invoice) => invoice.lines.data.filter((line) => line.parent?.subscription_item_details?.proration);
  // The seats are sent along: as on Stripe, a changed price without a quantity is billed for one.
  const changeTo = (price: Stripe.Price, extra: Partial<Stripe.InvoiceCreatePreviewParams.SubscriptionDetails> = {}) => ({
    customer: customer.id,
    subscription: subscription.id,
    subscription_details: { items: [{ id: subscription.items.data[0].id, price: price.id, quantity: 2 }], ...extra },
  });

  it('lists a customer’s invoices newest first, pages with starting_after, and gives finalized ones a hosted page and PDF', async () => {
    fake.advanceClock(32 * DAY);
    fake.advanceClock(30 * DAY);
    const other = await stripe.customers.create({ email: 'other@example.com' });
    await stripe.subscriptions.create({ customer: other.id, items: [{ price: pro.id }] });

    const all = await stripe.invoices.list({ customer: customer.id });
    expect(all.data.map((invoice) => invoice.billing_reason)).toEqual(['subscription_cycle', 'subscription_cycle', 'subscription_create']);
    const first = await stripe.invoices.list({ customer: customer.id, limit: 2 });
    expect(first.has_more).toBe(true);
    const rest = await stripe.invoices.list({ customer: customer.id, limit: 2, starting_after: first.data[1].id });
    expect([...first.data, ...rest.data].map((invoice) => invoice.id)).toEqual(all.data.map((invoice) => invoice.id));
    expect(rest.has_more).toBe(false);

    const [renewal, , created] = all.data;
    // A renewal's own period is the one just ended; its line's is the one it pays for ahead.
    expect(renewal.period_start).toBe(PERIOD_END);
    expect(renewal.lines.data[0].period.start).toBe(renewal.period_end);
    expect(created).toMatchObject({ period_start: T0, period_end: T0, status: 'paid', number: expect.stringMatching(/-0001$/) });
    expect(created.hosted_invoice_url).toBe(`${fake.url}/invoices/${created.id}`);
    expect(created.invoice_pdf).toBe(`${fake.url}/invoices/${created.id}/pdf`);
    const page = await fetch(created.hosted_invoice_url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(created.number!);
    const pdf = await fetch(created.invoice_pdf!);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect((await pdf.text()).startsWith('%PDF-1.4')).toBe(true);
  });

  it('previews an upgrade: credit for the unused time, charge for the time left, then the next period at the new price', async () => {
    fake.advanceClock(10 * DAY);
    const at = T0 + 10 * DAY;
    const preview = await stripe.invoices.createPreview(changeTo(pro, { proration_date: at }));
    const left = (PERIOD_END - at) / (PERIOD_END - T0);

    expect(preview.id).toMatch(/^upcoming_in_/);
    expect(preview).toMatchObject({ billing_reason: 'upcoming', status: 'draft', period_start: T0, period_end: PERIOD_END, next_payment_attempt: PERIOD_END });
    expect(proLine(preview).map((line) => [line.amount, line.period])).toEqual([
      [-Math.round(900 * 2 * left), { start: at, end: PERIOD_END }],
      [Math.round(2900 * 2 * left), { start: at, end: PERIOD_END }],
    ]);
    expect(proLine(preview)[0].description).toBe('Unused time on 2 × Basic after 25 Jan 2027');
    const next = preview.lines.data.filter((line) => !line.parent?.subscription_item_details?.proration);
    expect(next).toMatchObject([{ amount: 5800, period: { start: PERIOD_END, end: Date.UTC(2027, 2, 15) / 1000 } }]);
    expect(preview.total).toBe(preview.lines.data.reduce((sum, line) => sum + line.amount, 0));
    expect(preview.amount_due).toBe(preview.total);

    // A preview changes nothing and records nothing.
    expect((await stripe.subscriptions.retrieve(subscription.id)).items.data[0].price.id).toBe(basic.id);
    expect(fake.invoices.count).toBe(1);
    expect(fake.events.all().filter((event) => event.created > T0)).toEqual([]);
  });

  it('prorates a downgrade and a change of seats, bills prorations alone with always_invoice, and none with none', async () => {
    fake.advanceClock(20 * DAY);
    const downgrade = await stripe.invoices.createPreview({ ...changeTo(pro), subscription_details: { items: [{ id: subscription.items.data[0].id, price: basic.id, quantity: 1 }] } });
    expect(proLine(downgrade).map((line) => line.amount)).toEqual([-Math.round(900 * 2 * (11 / 31)), Math.round(900 * (11 / 31))]);

    const now = await stripe.invoices.createPreview(changeTo(pro, { proration_behavior: 'always_invoice' }));
    expect(now).toMatchObject({ billing_reason: 'subscription_update', next_payment_attempt: T0 + 20 * DAY });
    expect(now.lines.data.every((line) => line.parent?.subscription_item_details?.proration)).toBe(true);

    const none = await stripe.invoices.createPreview(changeTo(pro, { proration_behavior: 'none' }));
    expect(proLine(none)).toEqual([]);
    expect(none.total).toBe(5800);
  });

  it('bills a change of interval now: credit for the old price, the new period in full', async () => {
    fake.advanceClock(10 * DAY);
    const preview = await stripe.invoices.createPreview(changeTo(yearly));
    expect(preview.billing_reason).toBe('subscription_update');
    expect(proLine(preview).map((line) => line.amount)).toEqual([-Math.round(1800 * (21 / 31))]);
    expect(preview.lines.data.at(-1)).toMatchObject({ amount: 58_000, period: { start: T0 + 10 * DAY, end: Date.UTC(2028, 0, 25) / 1000 } });
  });

  it('answers like Stripe to unknown objects and impossible requests', async () => {
    expect(await rejectionOf(stripe.invoices.createPreview({ ...changeTo(pro), customer: 'cus_missing' }))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'customer' });
    expect(await rejectionOf(stripe.invoices.createPreview({ ...changeTo(pro), subscription: 'sub_missing' }))).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'subscription' });
    const none = await rejectionOf(stripe.invoices.createPreview(changeTo(pro, { proration_behavior: 'none', proration_date: T0 + 1 })));
    expect(none).toMatchObject({ statusCode: 400, param: 'subscription_details[proration_date]' });
    const outside = await rejectionOf(stripe.invoices.createPreview(changeTo(pro, { proration_date: PERIOD_END })));
    expect(outside.message).toMatch(/within the current subscription period/);
    await stripe.subscriptions.cancel(subscription.id);
    expect((await rejectionOf(stripe.invoices.createPreview(changeTo(pro)))).message).toMatch(/has ended/);
  });
});
