import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import Stripe from 'stripe';
import { errorMessage } from '../../common/describe-error.js';
import type { LitestripeClock } from '../../common/litestripe-clock.interface.js';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { LITESTRIPE_USAGE_OPTIONS, ResolvedUsageOptions } from '../../config/usage-options.js';
import { MeterEventRepository, MeterEventToReport } from './meter-event.repository.js';
import { METER_STRIPE_CLIENT } from './meter-stripe-client.js';

const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * Reports metered use to Stripe Billing Meters: leases a batch of due uses, sends them at once (the
 * meter client's own rate limiter paces them), and marks the reported ones in one statement. Every
 * use carries its `identifier`, also sent as the idempotency key, so a use sent twice (an instance
 * killed before its mark) is billed once. Stripe unreachable: the uses wait, with backoff, and
 * nothing is lost; Stripe refusing one for good (unknown meter, no such customer, too old): it is
 * kept as failed, with the error.
 */
@Injectable()
export class MeterEventReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    @Inject(LITESTRIPE_USAGE_OPTIONS) private readonly options: ResolvedUsageOptions,
    private readonly repository: MeterEventRepository,
    @Inject(METER_STRIPE_CLIENT) private readonly stripe: Stripe,
    @Inject(LITESTRIPE_OPTIONS) private readonly base: ResolvedLitestripeOptions,
  ) {}

  private get clock(): LitestripeClock {
    return this.base.clock;
  }

  /** Whether any metric is metered: otherwise the reporter never polls. */
  get enabled(): boolean {
    return [...this.options.metrics.values()].some((metric) => metric.meter !== null);
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    void this.reportNow();
    this.timer = setInterval(() => void this.reportNow(), this.options.meterReporting.pollIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Reports what is due now; a call while a pass runs makes it go round once more. Tests await it instead of the timer. */
  reportNow(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.report().finally(() => (this.running = null));
    return this.running;
  }

  private async report(): Promise<void> {
    const { batchSize, leaseMs } = this.options.meterReporting;
    try {
      do {
        this.again = false;
        for (;;) {
          const uses = await this.repository.leaseDue(batchSize, leaseMs);
          if (uses.length === 0) break;
          const sent = await Promise.all(uses.map((use) => this.send(use)));
          await this.repository.markReported(uses.filter((_, i) => sent[i]).map((use) => use.identifier), this.clock.now());
          if (uses.length < batchSize || this.closed) break;
        }
      } while (this.again && !this.closed);
    } catch (error) {
      this.logger.warn(`Reporting metered use to Stripe failed; the next pass retries: ${errorMessage(error)}`);
    }
  }

  /** True once Stripe holds the use; failures are recorded here. */
  private async send(use: MeterEventToReport): Promise<boolean> {
    try {
      await this.stripe.billing.meterEvents.create(
        {
          event_name: use.eventName,
          identifier: use.identifier,
          timestamp: Math.floor(use.occurredAt.getTime() / 1000),
          payload: { stripe_customer_id: use.customerId, value: String(use.value) },
        },
        { idempotencyKey: use.identifier },
      );
      return true;
    } catch (error) {
      if (alreadyReported(error)) return true;
      const message = errorMessage(error);
      if (isPermanent(error)) {
        this.logger.error(`Stripe refused metered use ${use.identifier} (${use.eventName}): ${message}. It is kept as failed in litestripe_meter_event.`);
        await this.repository.markFailed(use.identifier, message, this.clock.now());
      } else {
        const backoff = Math.min(this.options.meterReporting.retryBackoffMs * 2 ** use.attempts, MAX_BACKOFF_MS);
        await this.repository.retryLater(use.identifier, message, backoff);
      }
      return false;
    }
  }
}

/** Stripe refuses an identifier it already holds: the use was reported by an earlier attempt. */
function alreadyReported(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.param === 'identifier' && /already exists/i.test(error.message);
}

/** A 4xx other than a rate limit, a conflict or an authentication problem the operator may fix: retrying sends the same refusal. */
function isPermanent(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode !== 409;
}
