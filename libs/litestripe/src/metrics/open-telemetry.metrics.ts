import { BeforeApplicationShutdown } from '@nestjs/common';
import type { Attributes, BatchObservableCallback, Counter, Histogram, Meter, Observable } from '@opentelemetry/api';
import { monotonicMs } from '../common/clock.js';
import type { QueueStatus } from '../common/queue-status.js';
import { LitestripeMetrics, StripeRequestOutcome, WebhookEventOutcome } from './litestripe-metrics.js';

/** Seconds, OpenTelemetry's unit of durations: from a millisecond to a few seconds. */
const WORK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: most attempts take their slot at once; a spent budget waits up to the window (a minute). */
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

/**
 * The module's instruments on an OpenTelemetry `Meter`, named `<prefix>.<name>`. Attributes are
 * bounded sets (outcomes, modes, HTTP methods, entitlement reasons): never an account, a customer
 * or an id, which would make a time series per user.
 */
export class OpenTelemetryMetrics extends LitestripeMetrics implements BeforeApplicationShutdown {
  private readonly webhookEvents: Counter;
  private readonly applyDuration: Histogram;
  private readonly dispatchDuration: Histogram;
  private readonly dispatched: Counter;
  private readonly published: Counter;
  private readonly publishDuration: Histogram;
  private readonly stripeRequests: Counter;
  private readonly limiterWait: Histogram;
  private readonly guardDecisions: Counter;
  private readonly observers: { callback: BatchObservableCallback; observables: Observable[] }[] = [];

  constructor(
    private readonly meter: Meter,
    private readonly prefix: string,
  ) {
    super();
    this.webhookEvents = meter.createCounter(this.name('webhook.events'), { unit: '{event}', description: 'Webhook deliveries, by outcome.' });
    this.applyDuration = meter.createHistogram(this.name('webhook.apply.duration'), {
      unit: 's',
      description: 'Time to apply webhook events: one event inline, one inbox batch deferred.',
      advice: { explicitBucketBoundaries: WORK_BUCKETS },
    });
    this.dispatchDuration = meter.createHistogram(this.name('outbox.dispatch.duration'), {
      unit: 's',
      description: 'Time the listeners of one domain event took.',
      advice: { explicitBucketBoundaries: WORK_BUCKETS },
    });
    this.dispatched = meter.createCounter(this.name('outbox.dispatched'), { unit: '{event}', description: 'Domain events handed to their listeners, by outcome.' });
    this.published = meter.createCounter(this.name('outbox.published'), { unit: '{event}', description: 'Domain events a broker confirmed or did not, by broker and outcome.' });
    this.publishDuration = meter.createHistogram(this.name('outbox.publish.duration'), {
      unit: 's',
      description: 'Time a broker took to confirm one batch of domain events.',
      advice: { explicitBucketBoundaries: WORK_BUCKETS },
    });
    this.stripeRequests = meter.createCounter(this.name('stripe.requests'), { unit: '{request}', description: 'HTTP attempts to the Stripe API, by method and outcome.' });
    this.limiterWait = meter.createHistogram(this.name('stripe.rate_limiter.wait'), {
      unit: 's',
      description: 'Time a Stripe API attempt waited for the rate limiter.',
      advice: { explicitBucketBoundaries: WAIT_BUCKETS },
    });
    this.guardDecisions = meter.createCounter(this.name('guard.decisions'), { unit: '{decision}', description: 'Entitlement checks of SubscriptionGuard, by result and reason.' });
  }

  override webhookEvent(outcome: WebhookEventOutcome): void {
    this.webhookEvents.add(1, { outcome });
  }

  override webhookApplied(mode: 'inline' | 'deferred', startedMs: number): void {
    this.applyDuration.record(secondsSince(startedMs), { mode });
  }

  override outboxDispatched(outcome: 'delivered' | 'failed', startedMs: number): void {
    this.dispatchDuration.record(secondsSince(startedMs), { outcome });
    this.dispatched.add(1, { outcome });
  }

  override stripeRequest(method: string, outcome: StripeRequestOutcome): void {
    this.stripeRequests.add(1, { method: method.toUpperCase(), outcome });
  }

  override rateLimiterWaited(startedMs: number): void {
    this.limiterWait.record(secondsSince(startedMs));
  }

  override guardDecision(entitlement: { reason: string }, missing: { plans?: unknown; features?: unknown } | null): void {
    // Entitled but on the wrong plan, or without a feature: the reason says which, not the entitlement's `active`.
    const reason = missing?.plans ? 'plan_required' : missing?.features ? 'feature_required' : entitlement.reason;
    this.guardDecisions.add(1, { allowed: missing === null, reason });
  }

  override observeBacklog(queue: 'outbox' | 'inbox', read: () => Promise<QueueStatus>): void {
    this.observeQueue(
      queue,
      {
        depth: `Entries waiting in the ${queue}.`,
        lag: `How long the oldest entry waiting in the ${queue} has waited.`,
        failed: `Entries of the ${queue} kept as failed, waiting for an operator.`,
      },
      async () => [{ status: await read() }],
    );
  }

  override outboxPublished(destination: string, outcome: 'delivered' | 'failed', count: number, startedMs: number): void {
    if (count === 0) return;
    this.published.add(count, { destination, outcome });
    if (outcome === 'delivered') this.publishDuration.record(secondsSince(startedMs), { destination });
  }

  override observeBrokerBacklog(destinations: readonly string[], read: (destination: string) => Promise<QueueStatus>): void {
    this.observeQueue(
      'outbox.publication',
      {
        depth: 'Domain events waiting to be published, by broker.',
        lag: 'How long the oldest domain event waiting for a broker has waited, by broker.',
        failed: 'Domain events a broker kept rejecting, waiting for an operator, by broker.',
      },
      async () => {
        const statuses: { status: QueueStatus; attributes: Attributes }[] = [];
        for (const destination of destinations) statuses.push({ status: await read(destination), attributes: { destination } });
        return statuses;
      },
    );
  }

  /** The gauges `<queue>.depth`, `.lag` and `.failed`, observed together at each collection: one point per status read. */
  private observeQueue(queue: string, descriptions: Record<'depth' | 'lag' | 'failed', string>, read: () => Promise<{ status: QueueStatus; attributes?: Attributes }[]>): void {
    const depth = this.meter.createObservableGauge(this.name(`${queue}.depth`), { unit: '{event}', description: descriptions.depth });
    const lag = this.meter.createObservableGauge(this.name(`${queue}.lag`), { unit: 's', description: descriptions.lag });
    const failed = this.meter.createObservableGauge(this.name(`${queue}.failed`), { unit: '{event}', description: descriptions.failed });
    // One read per collection for the three, from the database every instance shares.
    const callback: BatchObservableCallback = async (result) => {
      for (const { status, attributes } of await read()) {
        result.observe(depth, status.depth, attributes);
        result.observe(lag, status.lagMs / 1000, attributes);
        result.observe(failed, status.failed, attributes);
      }
    };
    const observables = [depth, lag, failed];
    this.meter.addBatchObservableCallback(callback, observables);
    this.observers.push({ callback, observables });
  }

  /** Before the database closes: a collection after shutdown must not query it. */
  beforeApplicationShutdown(): void {
    for (const { callback, observables } of this.observers.splice(0)) this.meter.removeBatchObservableCallback(callback, observables);
  }

  private name(instrument: string): string {
    return `${this.prefix}.${instrument}`;
  }
}

function secondsSince(startedMs: number): number {
  return (monotonicMs() - startedMs) / 1000;
}
