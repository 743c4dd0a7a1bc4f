import { BadRequestException, ConflictException } from '@nestjs/common';
import type Stripe from 'stripe';
import { BillingActionLimitException, INVOICE_LIST_CACHE_TTL_MS } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';

const DAY = 86_400;

describe('invoices: read from Stripe, cached briefly, never stored; the preview of a plan change', () => {
  let t: BillingHost;
  let account: string;
  let runs = 0;
  beforeAll(async () => {
    // Two billing actions per account and minute: enough for each test, and a preview does not count.
    t = await startBillingHost({ options: { billingActionLimit: { limit: 2, windowSeconds: 60 } } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.reset();
    // The action limit's count outlives reset(): each test bills its own account.
    account = `acct_invoices_${++runs}`;
  });

  const invoiceLists = () => t.fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/invoices');
  const previews = () => t.fake.requests.filter((r) => r.path === '/v1/invoices/create_preview');
  const stripeInvoice = (id: string) => t.fake.invoices.get(id) as Stripe.Invoice;
  const date = (unixSeconds: number) => new Date(unixSeconds * 1000);
  /** Moves Stripe's clock (renewals happen) and the module's together. */
  const advance = (seconds: number) => {
    t.fake.advanceClock(seconds);
    t.clock.advance(seconds);
  };

  describe('listInvoices', () => {
    it('lists an account’s invoices after checkout and a renewal, newest first, with the hosted page and the PDF', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.basic.id });
      const firstPeriod = { start: subscription!.items.data[0].current_period_start, end: subscription!.items.data[0].current_period_end };
      advance(32 * DAY);

      const page = await t.billing.listInvoices(account);
      expect(page.hasMore).toBe(false);
      const [renewal, first] = page.invoices;
      expect(page.invoices).toHaveLength(2);
      const created = stripeInvoice(first.id);
      expect(first).toEqual({
        id: created.id,
        number: created.number,
        status: 'paid',
        amountDue: 900,
        amountPaid: 900,
        total: 900,
        currency: 'usd',
        periodStart: date(created.period_start),
        periodEnd: date(created.period_end),
        created: date(created.created),
        hostedInvoiceUrl: `${t.fake.url}/invoices/${created.id}`,
        invoicePdf: `${t.fake.url}/invoices/${created.id}/pdf`,
        subscriptionId: subscription!.id,
      });
      expect(first.number).toMatch(/-0001$/);
      // A renewal's invoice period is the one just ended (Stripe's period_start/period_end).
      expect(renewal).toMatchObject({ status: 'paid', number: expect.stringMatching(/-0002$/), periodStart: date(firstPeriod.start), periodEnd: date(firstPeriod.end), subscriptionId: subscription!.id });
      expect((await fetch(renewal.hostedInvoiceUrl!)).status).toBe(200);

      // Nothing about invoices is stored.
      expect(await t.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%invoice%'`)).toEqual([]);
      expect(await t.billing.listInvoices({ account })).toEqual(page);
    });

    it('leaves drafts out, reading on past them to fill the page', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.basic.id });
      await t.stripeChanges(subscription!.id, { pause_collection: { behavior: 'keep_as_draft', resumes_at: null } });
      advance(32 * DAY);
      expect(t.fake.invoices.all().map((invoice) => invoice.status)).toEqual(['paid', 'draft']);
      t.fake.clearRequests();

      const page = await t.billing.listInvoices(account, { limit: 1 });
      expect(page).toMatchObject({ invoices: [{ status: 'paid' }], hasMore: false });
      expect(invoiceLists()).toHaveLength(2);
    });

    it('pages with startingAfter, newest first', async () => {
      await t.subscribe(account, { price: t.prices.basic.id });
      advance(95 * DAY);
      const customer = t.fake.subscriptions.all()[0].customer;
      const expected = t.fake.invoices.filter((invoice) => invoice.customer === customer).map((invoice) => invoice.id).reverse();
      expect(expected).toHaveLength(4);

      const first = await t.billing.listInvoices(account, { limit: 3 });
      expect(first.hasMore).toBe(true);
      const rest = await t.billing.listInvoices(account, { limit: 3, startingAfter: first.invoices[2].id });
      expect(rest.hasMore).toBe(false);
      expect([...first.invoices, ...rest.invoices].map((invoice) => invoice.id)).toEqual(expected);
      expect(invoiceLists().at(-1)?.params).toMatchObject({ customer, limit: '3', starting_after: first.invoices[2].id });
    });

    it('serves a page again from memory until the TTL has passed on the module clock', async () => {
      await t.subscribe(account, { price: t.prices.basic.id });
      t.fake.clearRequests();
      const page = await t.billing.listInvoices(account);
      expect(await t.billing.listInvoices(account)).toEqual(page);
      expect(invoiceLists()).toHaveLength(1);

      // Another page is another entry; a renewal meanwhile shows once the entry expires.
      await t.billing.listInvoices(account, { limit: 5 });
      expect(invoiceLists()).toHaveLength(2);
      t.fake.advanceClock(32 * DAY);
      t.clock.advance(INVOICE_LIST_CACHE_TTL_MS / 1000 - 1);
      expect((await t.billing.listInvoices(account)).invoices).toHaveLength(1);
      expect(invoiceLists()).toHaveLength(2);
      t.clock.advance(1);
      expect((await t.billing.listInvoices(account)).invoices).toHaveLength(2);
      expect(invoiceLists()).toHaveLength(3);
    });

    it('refuses bad options with a 400 that says what is wrong, before asking Stripe', async () => {
      await t.subscribe(account, { price: t.prices.basic.id });
      t.fake.clearRequests();
      for (const limit of [0, 101, 2.5, '10' as unknown as number]) {
        await expect(t.billing.listInvoices(account, { limit })).rejects.toThrow(new BadRequestException(`limit must be a whole number from 1 to 100 (got ${JSON.stringify(limit)}).`));
      }
      await expect(t.billing.listInvoices(account, { startingAfter: 'sub_123' })).rejects.toThrow(/startingAfter must be an invoice id \("in_\.\.\."\)/);
      await expect(t.billing.listInvoices('not an account!')).rejects.toBeInstanceOf(BadRequestException);
      expect(invoiceLists()).toHaveLength(0);
      // An id of the right shape that Stripe does not know is a 400 too, not a Stripe error.
      await expect(t.billing.listInvoices(account, { startingAfter: 'in_unknown' })).rejects.toThrow(new BadRequestException('startingAfter in_unknown is not an invoice Stripe knows.'));
    });

    it('gives an account without a Stripe customer an empty page, without asking Stripe', async () => {
      await expect(t.billing.listInvoices('acct_never_paid')).resolves.toEqual({ invoices: [], hasMore: false });
      expect(invoiceLists()).toHaveLength(0);
    });

    it('never returns another account’s invoices, even past a cursor of theirs', async () => {
      await t.subscribe(account, { price: t.prices.basic.id });
      const other = await t.subscribe(`${account}_other`, { price: t.prices.proMonthly.id });
      const mine = t.fake.subscriptions.all()[0].customer;
      expect(other.subscription!.customer).not.toBe(mine);
      const theirs = t.fake.invoices.find((invoice) => invoice.customer === other.subscription!.customer)!.id;

      const pages = [await t.billing.listInvoices(account), await t.billing.listInvoices(account, { startingAfter: theirs })];
      const listed = pages.flatMap((page) => page.invoices);
      expect(listed.length).toBeGreaterThan(0);
      expect(listed.every((invoice) => stripeInvoice(invoice.id).customer === mine)).toBe(true);
    });
  });

  describe('previewPlanChange', () => {
    /** The fraction of the current period left at the module clock's now. */
    function leftOfPeriod(subscriptionId: string): number {
      const item = t.fake.subscriptions.get(subscriptionId)!.items.data[0];
      return (item.current_period_end - t.clock.seconds()) / (item.current_period_end - item.current_period_start);
    }

    it('previews an upgrade mid-period: the proration is the price difference for the time left, and nothing changes', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.basic.id });
      advance(10 * DAY);
      const rowBefore = await t.row(subscription!.id);
      const invoicesBefore = t.fake.invoices.count;
      const eventsBefore = t.fake.events.count;
      t.fake.clearRequests();

      const preview = await t.billing.previewPlanChange(account, 'pro');
      expect(preview).toMatchObject({ subscriptionId: subscription!.id, plan: 'pro', price: t.prices.proMonthly.id, currency: 'usd' });
      expect(Math.abs(preview.prorationAmount - (2900 - 900) * leftOfPeriod(subscription!.id))).toBeLessThanOrEqual(1);
      expect(preview.lines.filter((line) => line.proration).map((line) => Math.sign(line.amount))).toEqual([-1, 1]);
      expect(preview.lines.filter((line) => !line.proration)).toMatchObject([{ amount: 2900, periodStart: date(subscription!.items.data[0].current_period_end) }]);
      expect(preview.total).toBe(preview.lines.reduce((sum, line) => sum + line.amount, 0));
      expect(preview.amountDue).toBe(preview.total);
      expect(preview.nextPaymentAttempt).toEqual(date(subscription!.items.data[0].current_period_end));
      expect(preview.periodEnd).toEqual(date(subscription!.items.data[0].current_period_end));

      const [request] = previews();
      expect(request.params).toMatchObject({
        subscription: subscription!.id,
        customer: subscription!.customer,
        subscription_details: { items: [{ id: subscription!.items.data[0].id, price: t.prices.proMonthly.id }], proration_behavior: 'create_prorations', proration_date: String(t.clock.seconds()) },
      });
      expect(t.fake.requests.filter((r) => r.method === 'POST' && r.path !== '/v1/invoices/create_preview')).toEqual([]);
      expect(t.fake.subscriptions.get(subscription!.id)!.items.data[0].price.id).toBe(t.prices.basic.id);
      expect(t.fake.invoices.count).toBe(invoicesBefore);
      expect(t.fake.events.count).toBe(eventsBefore);
      expect(await t.row(subscription!.id)).toEqual(rowBefore);
    });

    it('previews a downgrade as a negative proration', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.proMonthly.id });
      advance(20 * DAY);
      const preview = await t.billing.previewPlanChange(account, 'basic');
      expect(preview.price).toBe(t.prices.basic.id);
      expect(preview.prorationAmount).toBeLessThan(0);
      expect(Math.abs(preview.prorationAmount - (900 - 2900) * leftOfPeriod(subscription!.id))).toBeLessThanOrEqual(1);
    });

    it('previews no proration with proration "none", nor for the plan and price the subscription is on', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.basic.id });
      advance(5 * DAY);
      const none = await t.billing.previewPlanChange({ subscriptionId: subscription!.id }, 'pro', { proration: 'none' });
      expect(none.prorationAmount).toBe(0);
      expect(none.lines.some((line) => line.proration)).toBe(false);
      expect(none.total).toBe(2900);
      // Stripe refuses a proration date that prorates nothing, so none is sent.
      expect((previews()[0].params.subscription_details as Record<string, unknown>).proration_date).toBeUndefined();

      const same = await t.billing.previewPlanChange(account, 'basic');
      expect(same).toMatchObject({ price: t.prices.basic.id, prorationAmount: 0, total: 900 });
    });

    it('refuses an unknown plan or bad options (400) and an ended subscription (409)', async () => {
      const { subscription } = await t.subscribe(account, { price: t.prices.basic.id });
      await expect(t.billing.previewPlanChange(account, 'gold')).rejects.toThrow(/Unknown plan "gold"/);
      await expect(t.billing.previewPlanChange(account, 'pro', { price: t.prices.basic.id })).rejects.toBeInstanceOf(BadRequestException);
      await expect(t.billing.previewPlanChange(account, 'pro', { proration: 'sometimes' as never })).rejects.toThrow(/proration must be one of create_prorations, always_invoice, none/);
      await expect(t.billing.previewPlanChange(account, 'pro', { quantity: 0 })).rejects.toThrow(/Quantity must be a whole number/);
      expect(previews()).toHaveLength(0);

      await t.billing.cancel({ subscriptionId: subscription!.id }, { atPeriodEnd: false });
      await expect(t.billing.previewPlanChange({ subscriptionId: subscription!.id }, 'pro')).rejects.toBeInstanceOf(ConflictException);
      expect(previews()).toHaveLength(0);
    });

    it('is a read: previews do not count against billingActionLimit', async () => {
      await t.subscribe(account, { price: t.prices.basic.id });
      for (let i = 0; i < 3; i++) await t.billing.previewPlanChange(account, 'pro');
      await expect(t.billing.changePlan(account, 'pro')).resolves.toMatchObject({ priceId: t.prices.proMonthly.id });
      // The limit holds: a third action within the minute is refused.
      await expect(t.billing.changePlan(account, 'enterprise')).rejects.toBeInstanceOf(BillingActionLimitException);
    });
  });
});
