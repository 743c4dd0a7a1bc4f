import { Controller, Get, Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { metrics } from '@opentelemetry/api';
import type Stripe from 'stripe';
import { getStripeClientToken, LitestripeEvents, LitestripeModuleOptions, OutboxService, RequiresPlan, RequiresSubscription, SubscriptionChangedEvent, WebhookInboxService } from '@litestripe/nestjs';
import { BillingHost, BillingHostOptions, startBillingHost } from './support/billing-host';
import { MetricsProbe, MetricsReading } from './support/metrics-probe';
import { RecordingBroker } from './support/recording-broker';
import { SubscriptionScenario } from './support/scenario';

/**
 * Metrics through OpenTelemetry, read from an SDK MeterProvider the way an exporter reads them:
 * each instrument moves for what it counts, carries no account, customer or id, and with metrics
 * off (the default) nothing is recorded, even with a global MeterProvider registered.
 */

@Controller('metered')
class MeteredController {
  @RequiresSubscription()
  @Get('any')
  any() {
    return { ok: true };
  }

  @RequiresPlan('pro')
  @Get('pro')
  pro() {
    return { ok: true };
  }
}

@Module({ controllers: [MeteredController] })
class MeteredModule {}

const FOREIGN_SECRET = 'whsec_someoneelsesecretcccccccccccccccccccc';

function hostOptions(options: Partial<LitestripeModuleOptions>): BillingHostOptions {
  return {
    isGlobal: true,
    imports: [MeteredModule],
    options: {
      accountResolver: (req) => (req.headers as Record<string, string | undefined>)['x-account'],
      // The host's account store is down for this one account: its checkout fails (Stripe would retry).
      validateClientReference: (reference) => {
        if (reference === 'acct_store_down') throw new Error('account store unreachable');
        return true;
      },
      ...options,
    },
  };
}


/** How much each figure moved between two readings. */
function moved(before: MetricsReading, after: MetricsReading) {
  return {
    sum: (name: string, attributes = {}) => after.sum(name, attributes) - before.sum(name, attributes),
    count: (name: string, attributes = {}) => after.count(name, attributes) - before.count(name, attributes),
  };
}

describe('metrics (OpenTelemetry), with a MeterProvider given', () => {
  const probe = new MetricsProbe();
  let t: BillingHost;

  beforeAll(async () => {
    // One attempt per outbox entry, and no poll but the first: a failing listener's entry is failed at once, and a waiting one stays.
    t = await startBillingHost(hostOptions({ metrics: { enabled: true, meterProvider: probe.meterProvider }, outbox: { maxAttempts: 1, pollIntervalMs: 0 } }));
  });
  afterAll(async () => {
    await t?.close();
    await probe.shutdown();
  });
  beforeEach(() => t.reset());

  it('counts a processed event, its duplicate and a delivery that fails verification; times the apply', async () => {
    const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_counted' } }, t.clock.seconds());
    const before = await probe.read();

    expect((await t.post(event)).body).toEqual({ received: true, outcome: 'processed' });
    expect((await t.post(event)).body).toEqual({ received: true, outcome: 'duplicate' });
    expect((await t.post(event, FOREIGN_SECRET)).status).toBe(400);

    const after = await probe.read();
    const delta = moved(before, after);
    expect(delta.sum('litestripe.webhook.events', { outcome: 'processed' })).toBe(1);
    expect(delta.sum('litestripe.webhook.events', { outcome: 'duplicate' })).toBe(1);
    expect(delta.sum('litestripe.webhook.events', { outcome: 'rejected' })).toBe(1);
    // A duplicate is answered from the claim alone: only the processed event is timed.
    expect(delta.count('litestripe.webhook.apply.duration', { mode: 'inline' })).toBe(1);
    expect(after.unit('litestripe.webhook.apply.duration')).toBe('s');
    expect(after.unit('litestripe.webhook.events')).toBe('{event}');
  });

  it('counts a delivery that failed, and the inbox gauge shows it kept as failed', async () => {
    const before = await probe.read();
    const checkout = new SubscriptionScenario().checkout({ clientReferenceId: 'acct_store_down' }, t.clock.seconds());

    expect((await t.post(checkout)).status).toBe(500);

    const after = await probe.read();
    expect(moved(before, after).sum('litestripe.webhook.events', { outcome: 'failed' })).toBe(1);
    expect(after.gauge('litestripe.inbox.failed')).toBe(1);
    expect(after.gauge('litestripe.inbox.depth')).toBe(0);
    expect(after.gauge('litestripe.inbox.lag')).toBe(0);
  });

  it('counts guard decisions by result and reason', async () => {
    await t.subscribe('acct_basic', { plan: 'basic' });
    const before = await probe.read();

    await t.http().get('/metered/any').set('x-account', 'acct_basic').expect(200);
    await t.http().get('/metered/any').set('x-account', 'acct_nobody').expect(403);
    await t.http().get('/metered/pro').set('x-account', 'acct_basic').expect(403);

    const delta = moved(before, await probe.read());
    expect(delta.sum('litestripe.guard.decisions', { allowed: true, reason: 'active' })).toBe(1);
    expect(delta.sum('litestripe.guard.decisions', { allowed: false, reason: 'no_subscription' })).toBe(1);
    expect(delta.sum('litestripe.guard.decisions', { allowed: false, reason: 'plan_required' })).toBe(1);
    expect(delta.sum('litestripe.guard.decisions')).toBe(3);
  });

  it('counts Stripe API requests by method and outcome, and times the waits for the rate limiter', async () => {
    const stripe = t.app.get<Stripe>(getStripeClientToken());
    const before = await probe.read();

    await stripe.customers.create({ metadata: { purpose: 'metrics' } });
    await expect(stripe.subscriptions.retrieve('sub_missing')).rejects.toThrow();
    t.fake.rateLimitNext(1, { retryAfterSeconds: 0, match: { method: 'GET', path: /^\/v1\/prices/ } });
    await stripe.prices.list({ limit: 1 });

    const delta = moved(before, await probe.read());
    expect(delta.sum('litestripe.stripe.requests', { method: 'POST', outcome: 'ok' })).toBe(1);
    expect(delta.sum('litestripe.stripe.requests', { method: 'GET', outcome: 'error' })).toBe(1);
    // The 429, then its retry.
    expect(delta.sum('litestripe.stripe.requests', { method: 'GET', outcome: 'rate_limited' })).toBe(1);
    expect(delta.sum('litestripe.stripe.requests', { method: 'GET', outcome: 'ok' })).toBe(1);
    expect(delta.count('litestripe.stripe.rate_limiter.wait')).toBe(4);
  });

  it('counts and times outbox dispatches, delivered and failed, and the gauge shows the failed entry', async () => {
    const emitter = t.app.get(EventEmitter2);
    const failing = (event: SubscriptionChangedEvent) => {
      if (event.subscription.accountRef === 'acct_listener_fails') throw new Error('listener down');
    };
    emitter.on(LitestripeEvents.SubscriptionCreated, failing);
    try {
      const before = await probe.read();
      const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_listener_fails' } }, t.clock.seconds());
      expect((await t.post(event)).body.outcome).toBe('processed');

      const after = await probe.read();
      const delta = moved(before, after);
      expect(delta.sum('litestripe.outbox.dispatched', { outcome: 'failed' })).toBe(1);
      expect(delta.sum('litestripe.outbox.dispatched', { outcome: 'delivered' })).toBeGreaterThan(0);
      expect(delta.count('litestripe.outbox.dispatch.duration')).toBe(delta.sum('litestripe.outbox.dispatched'));
      expect(after.gauge('litestripe.outbox.failed')).toBe(1);
    } finally {
      emitter.off(LitestripeEvents.SubscriptionCreated, failing);
    }
  });

  it('reads the outbox lag from the database: an entry due five seconds ago', async () => {
    await t.dataSource.query(
      `INSERT INTO litestripe_outbox ("id", "name", "payload", "stripe_event_id", "available_at") VALUES ('evt_waiting:litestripe.subscription.created', $1, '{}', 'evt_waiting', now() - interval '5 seconds')`,
      [LitestripeEvents.SubscriptionCreated],
    );

    const reading = await probe.read();

    expect(reading.gauge('litestripe.outbox.depth')).toBe(1);
    expect(reading.gauge('litestripe.outbox.lag')).toBeGreaterThanOrEqual(5);
    expect(reading.gauge('litestripe.outbox.lag')).toBeLessThan(60);
    expect(reading.unit('litestripe.outbox.lag')).toBe('s');
    expect(reading.gauge('litestripe.outbox.failed')).toBe(0);
  });

  it('records no account, customer, subscription, event id or email in any attribute', async () => {
    await t.subscribe('acct_private', { plan: 'basic' });
    await t.http().get('/metered/any').set('x-account', 'acct_private').expect(200);

    const values = (await probe.read()).attributeSets().flatMap((attributes) => Object.values(attributes).map(String));

    expect(values.length).toBeGreaterThan(0);
    expect(values.filter((value) => /acct_|cus_|sub_|evt_|cs_|@/.test(value))).toEqual([]);
  });
});

describe('metrics (OpenTelemetry) of the brokers', () => {
  const probe = new MetricsProbe();
  const mq = new RecordingBroker('mq');
  const js = new RecordingBroker('js');
  let t: BillingHost;

  beforeAll(async () => {
    t = await startBillingHost(hostOptions({ metrics: { enabled: true, meterProvider: probe.meterProvider }, outbox: { maxAttempts: 1, pollIntervalMs: 0 }, brokers: [mq, js] }));
  });
  afterAll(async () => {
    await t?.close();
    await probe.shutdown();
  });

  it('counts and times what each broker confirmed or not, and gauges its backlog and failed entries', async () => {
    mq.rejectingNames.add(LitestripeEvents.SubscriptionActivated);
    const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_brokered' } }, t.clock.seconds());
    expect((await t.post(event)).body.outcome).toBe('processed');
    await t.app.get(OutboxService).dispatchDue();

    const reading = await probe.read();
    expect(reading.sum('litestripe.outbox.published', { destination: 'js', outcome: 'delivered' })).toBe(2);
    expect(reading.sum('litestripe.outbox.published', { destination: 'js', outcome: 'failed' })).toBe(0);
    expect(reading.sum('litestripe.outbox.published', { destination: 'mq', outcome: 'delivered' })).toBe(1);
    expect(reading.sum('litestripe.outbox.published', { destination: 'mq', outcome: 'failed' })).toBe(1);
    expect(reading.count('litestripe.outbox.publish.duration', { destination: 'mq' })).toBe(1);
    expect(reading.count('litestripe.outbox.publish.duration', { destination: 'js' })).toBeGreaterThanOrEqual(1);
    // With one attempt allowed, the rejected entry is kept as failed at mq, and nothing waits at either broker.
    expect(reading.gauge('litestripe.outbox.publication.failed', { destination: 'mq' })).toBe(1);
    expect(reading.gauge('litestripe.outbox.publication.failed', { destination: 'js' })).toBe(0);
    expect(reading.gauge('litestripe.outbox.publication.depth', { destination: 'mq' })).toBe(0);
    expect(reading.gauge('litestripe.outbox.publication.depth', { destination: 'js' })).toBe(0);
    expect(reading.gauge('litestripe.outbox.publication.lag', { destination: 'mq' })).toBe(0);
    expect(reading.unit('litestripe.outbox.publication.lag')).toBe('s');
  });
});

describe('metrics off (the default), with a global MeterProvider registered', () => {
  const global = new MetricsProbe();
  let t: BillingHost;

  beforeAll(async () => {
    metrics.setGlobalMeterProvider(global.meterProvider);
    // Its inbox sweep must not apply the deferred app's events (the two share the database) before that app's applier does.
    t = await startBillingHost(hostOptions({ inbox: { sweepIntervalMs: 600_000 } }));
  });
  afterAll(async () => {
    await t?.close();
    metrics.disable();
    await global.shutdown();
  });

  it('records nothing: no instrument is even created', async () => {
    const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_quiet' } }, t.clock.seconds());
    expect((await t.post(event)).body.outcome).toBe('processed');
    await t.subscribe('acct_quiet_basic', { plan: 'basic' });
    await t.http().get('/metered/any').set('x-account', 'acct_quiet_basic').expect(200);

    expect((await global.read()).names).toEqual([]);
  });

  it('records into the global MeterProvider once enabled without one, under the given prefix, deferred processing included', async () => {
    const on = await startBillingHost(hostOptions({ metrics: { enabled: true, prefix: 'shop.billing' }, webhookProcessing: 'deferred' }));
    try {
      const event = new SubscriptionScenario().subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_global' } }, on.clock.seconds());
      expect((await on.post(event)).body.outcome).toBe('queued');
      await on.app.get(WebhookInboxService).drain();

      const reading = await global.read();
      expect(reading.sum('shop.billing.webhook.events', { outcome: 'queued' })).toBe(1);
      expect(reading.count('shop.billing.webhook.apply.duration', { mode: 'deferred' })).toBe(1);
      expect(reading.gauge('shop.billing.inbox.depth')).toBe(0);
      expect(reading.names.filter((name) => !name.startsWith('shop.billing.'))).toEqual([]);
    } finally {
      await on.close();
    }
  });
});
