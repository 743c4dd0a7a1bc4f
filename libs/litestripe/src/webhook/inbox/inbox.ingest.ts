import { BadRequestException, Inject, Injectable, InternalServerErrorException, Logger, ServiceUnavailableException } from '@nestjs/common';
import type Stripe from 'stripe';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { isDatabaseUnavailable } from '../../common/database-unavailable.js';
import { describeError } from '../../common/describe-error.js';
import { PayloadRangeError } from '../../errors/payload-range.error.js';
import { outOfScope, OutOfScopeWarnings } from '../event-scope.js';
import { WebhookHandlers } from '../webhook-handlers.js';
import type { DeliveryOutcome } from '../webhook-event.processor.js';
import { InboxApplier } from './inbox.applier.js';
import { InboxRepository } from './inbox.repository.js';
import { encodeWork } from './work.codec.js';

/**
 * The webhook's side of deferred processing: read what the handler needs from the verified payload
 * (the same pure reading as inline), make one durable write (the event's row in the inbox, which
 * is also its event-log entry), and answer. An event that is not the module's, or not this app's,
 * is recorded with its final outcome in that same write.
 */
@Injectable()
export class InboxIngest {
  private readonly logger = new Logger('Litestripe');
  private readonly outOfScope: OutOfScopeWarnings;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    private readonly handlers: WebhookHandlers,
    private readonly inbox: InboxRepository,
    private readonly applier: InboxApplier,
  ) {
    this.outOfScope = new OutOfScopeWarnings(options.livemode, options.connectedAccounts);
  }

  async accept(event: Stripe.Event): Promise<DeliveryOutcome> {
    const scope = outOfScope(event, this.options.livemode);
    const handler = scope ? undefined : this.handlers.for(event.type);
    let facts: unknown = null;
    try {
      facts = handler ? handler.read(event) : null;
    } catch (error) {
      // Retrying cannot make such a payload readable, and recording it would store what cannot be stored.
      if (error instanceof PayloadRangeError) throw new BadRequestException(error.message);
      throw error;
    }
    const queued = facts !== null;
    if (queued && this.applier.full) {
      // The applier recounts when it looks for work: another instance may have drained the inbox meanwhile.
      this.applier.wake();
      this.logger.warn(`The inbox holds ${this.options.inbox.maxDepth} events or more (inbox.maxDepth); answering 503 so Stripe retries Stripe event ${event.id} later`);
      throw new ServiceUnavailableException('Inbox full; Stripe will retry this event');
    }
    let stored: boolean;
    try {
      stored = await this.inbox.insert(event, queued ? 'pending' : (scope ?? 'ignored'), queued ? handler!.subscriptionIdOf(facts) : null, queued ? encodeWork(facts) : null);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        this.logger.warn(`Database unavailable while storing Stripe event ${event.id} (${event.type}); answering 503 so Stripe retries`);
        throw new ServiceUnavailableException('Database unavailable; Stripe will retry this event');
      }
      this.logger.error(`Storing Stripe event ${event.id} (${event.type}) failed; Stripe will retry: ${describeError(error)}`);
      throw new InternalServerErrorException('Storing the event failed; Stripe will retry this event');
    }
    if (!stored) {
      this.logger.debug(`Stripe event ${event.id} (${event.type}) is a duplicate; nothing changed`);
      return 'duplicate';
    }
    if (scope) this.outOfScope.note(scope, event);
    if (!queued) return scope ?? 'ignored';
    this.applier.stored();
    return 'queued';
  }
}
