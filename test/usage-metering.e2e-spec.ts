import type Stripe from 'stripe';
import { getStripeClientToken, MeterEventReport, UsageService } from '@litestripe/nestjs';
import { BillingHost, plansFor, startBillingHost } from './support/billing-host';
import { MeterEventReporter } from '../libs/litestripe/src/usage/meter/meter-event.reporter';
import { MeterEventRepository } from '../libs/litestripe/src/usage/meter/meter-event.repository';

const DAY = 86_400;

/**
 * Metered billing end to end against the fake Stripe: a plan with a licensed price and a metered
 * one, checkout, use recorded through UsageService, reported as meter events, billed on the renewal.
 */
describe('metered billing on Stripe Billing Meters', () => {
  let host: BillingHost;
  let usage: UsageService;
  let reporter: MeterEventReporter;
  let meteredPrice: Stripe.Price;
  let scalePrice: Stripe.Price;

  beforeAll(async () => {
    host = await startBillingHost({
      configure: (fake, prices) => {
        const meter = fake.seedMeter({ eventName: 'api_calls', displayName: 'API calls' });
        meteredPrice = fake.seedPrice({ nickname: 'API calls', unitAmount: 2, meter: meter.id });
        scalePrice = fake.seedPrice({ nickname: 'Scale', unitAmount: 4900 });
        return {
          plans: { ...plansFor(prices), scale: { prices: { test: scalePrice.id }, meteredPrices: { test: meteredPrice.id }, limits: { api_calls: Infinity } } },
          usage: { metrics: { api_calls: { meter: 'api_calls' } }, meterReporting: { retryBackoffMs: 1, pollIntervalMs: 60_000 } },
        };
      },
    });
    usage = host.app.get(UsageService);
    reporter = host.app.get(MeterEventReporter);
  });
  afterAll(() => host?.close());
  beforeEach(() => host.reset());

  const status = () => host.app.get(MeterEventRepository).status();
  const meterRows = () => host.dataSource.getRepository(MeterEventReport).find({ order: { createdAt: 'ASC' } });

  it('checks out the plan’s price with its seats and the metered price without a quantity; the plan and seats come from the licensed item', async () => {
    const { subscription } = await host.subscribe('acct_scale', { plan: 'scale', quantity: 3 });
    const sent = host.fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions')!;
    expect(sent.params).toMatchObject({ line_items: [{ price: scalePrice.id, quantity: '3' }, { price: meteredPrice.id }] });
    expect((sent.params as { line_items: object[] }).line_items[1]).not.toHaveProperty('quantity');
    const stripeSubscription = host.fake.subscriptions.get(subscription!.id)!;
    expect(stripeSubscription.items.data.map((item) => [item.price.id, item.quantity ?? null])).toEqual([
      [scalePrice.id, 3],
      [meteredPrice.id, null],
    ]);
    expect(await host.row(subscription!.id)).toMatchObject({ priceId: scalePrice.id, quantity: 3 });
    expect((await host.service.getEntitlement('acct_scale')).plans).toEqual(['scale']);
  });

  it('reports recorded use to Stripe once per idempotency key, for the customer of the granting subscription', async () => {
    const { subscription } = await host.subscribe('acct_m', { plan: 'scale' });
    const customer = host.fake.subscriptions.get(subscription!.id)!.customer as string;
    expect(await usage.record('acct_m', 'api_calls', 7, { idempotencyKey: 'job-1' })).toMatchObject({ used: 7, duplicate: false, metered: true });
    expect(await usage.record('acct_m', 'api_calls', 7, { idempotencyKey: 'job-1' })).toMatchObject({ used: 7, duplicate: true, metered: true });
    await usage.record('acct_m', 'api_calls', 5);
    await reporter.reportNow();
    // A batch is sent at once, so Stripe may receive its uses in any order.
    const events = host.fake.meterEvents({ eventName: 'api_calls' });
    expect(events.map((e) => e.payload).sort((a, b) => Number(a.value) - Number(b.value))).toEqual([
      { stripe_customer_id: customer, value: '5' },
      { stripe_customer_id: customer, value: '7' },
    ]);
    const rows = await meterRows();
    const byIdentifier = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(rows.map((r) => [r.identifier, r.value, r.reportedAt !== null]).sort(byIdentifier)).toEqual(
      events.map((e) => [e.identifier, Number(e.payload.value), true]).sort(byIdentifier),
    );
    expect(await status()).toEqual({ pending: 0, failed: 0, reported: 2 });
  });

  it('loses nothing while Stripe is unreachable: the use waits and is reported once Stripe answers', async () => {
    await host.subscribe('acct_down', { plan: 'scale' });
    host.fake.failNext(50, { status: 503, match: { path: '/v1/billing/meter_events' } });
    await usage.record('acct_down', 'api_calls', 3, { idempotencyKey: 'req-9' });
    await reporter.reportNow();
    const [waiting] = await meterRows();
    expect(waiting).toMatchObject({ reportedAt: null, failedAt: null });
    expect(waiting.attempts).toBeGreaterThan(0);
    expect(waiting.lastError).toMatch(/503|api_error|error/i);
    expect(host.fake.meterEvents()).toEqual([]);
    host.fake.clearFaults();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the retry's backoff (retryBackoffMs 1, doubled per attempt, on PostgreSQL's clock)
    await host.dataSource.query(`UPDATE litestripe_meter_event SET available_at = now()`);
    await reporter.reportNow();
    expect(host.fake.meterEvents().map((e) => e.payload.value)).toEqual(['3']);
    expect((await meterRows())[0].reportedAt).not.toBeNull();
  });

  it('bills once when a use is sent again after Stripe took it (an instance killed before its mark)', async () => {
    await host.subscribe('acct_twice', { plan: 'scale' });
    await usage.record('acct_twice', 'api_calls', 4, { idempotencyKey: 'k' });
    await reporter.reportNow();
    await host.dataSource.query(`UPDATE litestripe_meter_event SET reported_at = NULL, available_at = now()`);
    await reporter.reportNow();
    expect(host.fake.meterEvents()).toHaveLength(1);
    expect(await status()).toEqual({ pending: 0, failed: 0, reported: 1 });
    // A day later Stripe no longer replays the idempotency key: the identifier still says "already reported".
    host.fake.advanceClock(DAY / 2);
    await host.dataSource.query(`UPDATE litestripe_meter_event SET reported_at = NULL, available_at = now()`);
    await reporter.reportNow();
    expect(host.fake.meterEvents()).toHaveLength(1);
    expect(await status()).toEqual({ pending: 0, failed: 0, reported: 1 });
  });

  it('keeps a use Stripe refuses for good as failed, with the error, and reports the others', async () => {
    const { subscription } = await host.subscribe('acct_refused', { plan: 'scale' });
    // A use of a meter deleted in the Dashboard since it was recorded.
    await host.dataSource.query(`INSERT INTO litestripe_meter_event (identifier, event_name, customer_id, value, occurred_at) VALUES ('ls_gone', 'no_such_meter', $1, 1, $2)`, [
      host.fake.subscriptions.get(subscription!.id)!.customer,
      host.clock.now(),
    ]);
    await usage.record('acct_refused', 'api_calls', 2, { idempotencyKey: 'b' });
    await reporter.reportNow();
    const rows = await meterRows();
    expect(rows.map((r) => [r.eventName, r.failedAt !== null, r.reportedAt !== null])).toEqual([
      ['no_such_meter', true, false],
      ['api_calls', false, true],
    ]);
    expect(rows[0].lastError).toMatch(/no_such_meter|meter/i);
    expect(host.fake.meterEvents().map((e) => e.payload.value)).toEqual(['2']);
  });

  it('reports on its own budget: a used-up API budget does not hold metered use back', async () => {
    const small = await startBillingHost({
      configure: (fake, prices) => {
        const meter = fake.seedMeter({ eventName: 'api_calls' });
        const price = fake.seedPrice({ unitAmount: 1, meter: meter.id });
        return {
          plans: { scale: { prices: { test: prices.basic.id }, meteredPrices: { test: price.id }, limits: { api_calls: Infinity } } },
          usage: { metrics: { api_calls: { meter: 'api_calls' } }, meterReporting: { pollIntervalMs: 60_000 } },
          maxRequestsPerMinute: 4,
          rateLimitReserveForRefreshes: 0,
          maxRateLimitWaitMs: 50,
        };
      },
    });
    try {
      await small.subscribe('acct_budget', { plan: 'scale' });
      // Use up the ordinary budget: an ordinary call is then refused by the limiter.
      const stripe = small.app.get<Stripe>(getStripeClientToken());
      const calls = await Promise.allSettled(Array.from({ length: 6 }, () => stripe.prices.list({ limit: 1 })));
      expect(calls.filter((call) => call.status === 'rejected' && (call.reason as { type?: string }).type === 'StripeRateLimitError').length).toBeGreaterThan(0);
      for (let i = 0; i < 20; i++) await small.app.get(UsageService).record('acct_budget', 'api_calls', 1);
      await small.app.get(MeterEventReporter).reportNow();
      expect(small.fake.meterEvents()).toHaveLength(20);
    } finally {
      await small.close();
    }
  });

  it('bills the period’s reported use on the renewal invoice, beside the licensed price', async () => {
    const { subscription } = await host.subscribe('acct_bill', { plan: 'scale', quantity: 2 });
    await usage.record('acct_bill', 'api_calls', 120);
    await usage.record('acct_bill', 'api_calls', 30);
    await reporter.reportNow();
    const before = host.fake.subscriptions.get(subscription!.id)!;
    const periodEnd = before.items.data[0].current_period_end;
    const { events } = host.fake.advanceClock(periodEnd - host.fake.now() + 1);
    const renewal = events.map((e) => e.data.object as Stripe.Invoice).find((o) => o.object === 'invoice' && o.billing_reason === 'subscription_cycle')!;
    const lines = renewal.lines.data.map((line) => [line.pricing?.price_details?.price ?? null, line.quantity, line.amount]);
    expect(lines).toEqual(expect.arrayContaining([[meteredPrice.id, 150, 300]]));
    expect(renewal.total).toBe(2 * scalePrice.unit_amount! + 300);
  });

  it('moves the metered item with the plan: added when changing to a plan that meters, removed when leaving it', async () => {
    const { subscription } = await host.subscribe('acct_change', { plan: 'basic' });
    await host.billing.changePlan({ subscriptionId: subscription!.id }, 'scale');
    const items = () => host.fake.subscriptions.get(subscription!.id)!.items.data.map((item) => item.price.id).sort();
    expect(items()).toEqual([scalePrice.id, meteredPrice.id].sort());
    await host.billing.changePlan({ subscriptionId: subscription!.id }, 'basic');
    expect(items()).toEqual([host.prices.basic.id]);
  });
});
