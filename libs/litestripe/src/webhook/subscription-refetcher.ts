import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { InjectStripeClient } from '../stripe/stripe-client.decorator.js';
import { inRefreshLane } from '../stripe/stripe-request-lane.js';
import { StripePayload } from '../state/stripe-payload.js';
import { answerTime } from '../state/subscription-object.applier.js';
import { readSubscription, SubscriptionSnapshot } from '../state/subscription-snapshot.js';
import { errorMessage } from '../common/describe-error.js';

/** What Stripe says a subscription is now, and when it said so. */
export interface FetchedSubscription {
  snapshot: SubscriptionSnapshot;
  /** Unix seconds (Stripe's clock) at which the state was read: newer than every event created before it. */
  asOf: number;
}

/**
 * Asks Stripe for a subscription's current state by id, for the `refetch` option. Never throws:
 * when Stripe is unreachable or slow, the caller falls back to the payload.
 */
@Injectable()
export class SubscriptionRefetcher {
  private readonly logger = new Logger('Litestripe');

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @InjectStripeClient() private readonly stripe: Stripe,
  ) {}

  async fetch(subscriptionId: string): Promise<FetchedSubscription | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.options.refetchTimeoutMs} ms`)), this.options.refetchTimeoutMs);
    });
    try {
      // The stored state (and so access) waits on this read: it may use the budget's reserve.
      const subscription = await Promise.race([inRefreshLane(() => this.stripe.subscriptions.retrieve(subscriptionId)), timeout]);
      // Dated by Stripe's clock (the one that dates its events), not ours.
      return { snapshot: readSubscription(subscription as unknown as StripePayload), asOf: answerTime(subscription.lastResponse?.headers, this.options.clock) };
    } catch (error) {
      this.logger.warn(`Could not refetch subscription ${subscriptionId} from Stripe; applying the event's payload in order instead: ${errorMessage(error)}`);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
