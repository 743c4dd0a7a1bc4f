import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';

/**
 * The one place a webhook delivery becomes a trusted event: it checks `Stripe-Signature` on the
 * exact raw bytes against every configured secret (rotation, test and live endpoints).
 */
@Injectable()
export class WebhookSignatureVerifier {
  constructor(@Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions) {}

  async verify(rawBody: Buffer, signatureHeader: string | string[] | undefined): Promise<Stripe.Event> {
    const header = Array.isArray(signatureHeader) ? signatureHeader.join(',') : signatureHeader;
    if (!header) throw new BadRequestException('Missing Stripe-Signature header');
    const timestamp = /(?:^|,)\s*t=(\d+)\s*(?:,|$)/.exec(header);
    // stripe-node checks the signature against the last `t=`, the bound below the first: a header must have one.
    const timestamps = header.split(',').filter((part) => part.split('=')[0].trim() === 't').length;
    if (!timestamp || timestamps !== 1 || !/(?:^|,)\s*v1=[0-9a-f]+/i.test(header)) throw new BadRequestException('Malformed Stripe-Signature header');
    // Both bounds are checked against the module's clock: stripe-node reads the wall clock unless given `receivedAt`.
    const receivedAtMs = this.options.clock.now().getTime();
    // Stripe's check only bounds the past; a timestamp far ahead would make a replayable delivery.
    if (Number(timestamp[1]) - receivedAtMs / 1000 > this.options.webhookToleranceSeconds) {
      throw new BadRequestException('Signature timestamp outside the tolerance zone');
    }

    let lastError: unknown;
    for (const secret of this.options.webhookSecrets) {
      try {
        const event = await Stripe.webhooks.constructEventAsync(rawBody, header, secret, this.options.webhookToleranceSeconds, undefined, receivedAtMs);
        return assertStripeEvent(event, receivedAtMs / 1000 + this.options.webhookToleranceSeconds);
      } catch (error) {
        lastError = error;
        // Only a mismatching signature can be cured by another secret; a malformed header or an
        // expired timestamp fails the same way for all of them.
        if (!(error instanceof Stripe.errors.StripeSignatureVerificationError) || !/No signatures found/.test(error.message)) break;
      }
    }
    throw new BadRequestException(reasonOf(lastError));
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof SyntaxError) return 'Malformed JSON body';
  if (error instanceof BadRequestException) return error.message;
  const message = error instanceof Error ? error.message : '';
  if (/tolerance/i.test(message)) return 'Signature timestamp outside the tolerance zone';
  if (/Unable to extract timestamp and signatures/i.test(message)) return 'Malformed Stripe-Signature header';
  return 'No signature matches any configured webhook secret';
}

/** `latestCreated`: unix seconds, the module clock's now plus the signature tolerance. */
function assertStripeEvent(event: Stripe.Event, latestCreated: number): Stripe.Event {
  const candidate = event as unknown as Record<string, unknown>;
  const data = candidate?.data as Record<string, unknown> | undefined;
  if (
    typeof candidate?.id !== 'string' ||
    !candidate.id.startsWith('evt_') ||
    typeof candidate.type !== 'string' ||
    !Number.isSafeInteger(candidate.created) ||
    (candidate.created as number) < 0 ||
    !data ||
    typeof data.object !== 'object' ||
    data.object === null
  ) {
    throw new BadRequestException('Body is not a Stripe event');
  }
  // Ordering keeps the newest `created`: one event dated ahead would freeze its subscription's row until then.
  if ((candidate.created as number) > latestCreated) throw new BadRequestException('Event created further in the future than the tolerance zone');
  return event;
}
