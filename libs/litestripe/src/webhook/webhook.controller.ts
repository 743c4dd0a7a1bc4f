import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  Param,
  PayloadTooLargeException,
  Post,
  Req,
  Type,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { RawBodyProbeAnswer, RawBodyStartupCheck } from './raw-body.startup-check.js';
import { DeliveryOutcome, WebhookEventProcessor } from './webhook-event.processor.js';
import { WebhookSignatureVerifier } from './webhook-signature.verifier.js';
import { WEBHOOK_HANDLER_ROUTE } from './webhook-route.path.js';
import { InboxIngest } from './inbox/inbox.ingest.js';
import { LitestripeMetrics, WebhookEventOutcome } from '../metrics/litestripe-metrics.js';

/** The parts of an Express or Fastify request the webhook reads. */
interface WebhookRequest {
  rawBody?: Buffer;
  headers: IncomingHttpHeaders;
  url: string;
}

export interface WebhookResponse {
  received: true;
  outcome: DeliveryOutcome;
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

const RAW_BODY_HELP =
  'The webhook needs the raw request body to verify Stripe signatures. Create the app with ' +
  '`NestFactory.create(AppModule, { rawBody: true })` (Express) or ' +
  '`NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { rawBody: true })` (Fastify).';

/** Builds the webhook controller at the configured path (`POST /<path>/:uuid`). */
export function createWebhookController(path: string): Type<unknown> {
  @Controller(path)
  class LitestripeWebhookController {
    private readonly logger = new Logger('Litestripe');

    constructor(
      @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
      @Inject(WebhookSignatureVerifier) private readonly verifier: WebhookSignatureVerifier,
      @Inject(WebhookEventProcessor) private readonly processor: WebhookEventProcessor,
      @Inject(RawBodyStartupCheck) private readonly rawBodyCheck: RawBodyStartupCheck,
      @Inject(InboxIngest) private readonly inbox: InboxIngest,
      @Inject(LitestripeMetrics) private readonly metrics: LitestripeMetrics,
    ) {
      rawBodyCheck.attach(LitestripeWebhookController, path);
    }

    @Post(WEBHOOK_HANDLER_ROUTE)
    @HttpCode(200)
    async receive(
      @Param('uuid') uuid: string,
      @Req() request: WebhookRequest,
      @Headers('stripe-signature') signature?: string,
    ): Promise<WebhookResponse | RawBodyProbeAnswer> {
      if (!sameSecret(uuid, this.options.webhookUuid)) throw new NotFoundException(`Cannot POST ${request.url}`);
      if (!JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) throw new UnsupportedMediaTypeException('Stripe webhooks are application/json');
      // The start-up probe (only while it runs, with its one-time token): answered here, before any signature, row or log.
      const probeAnswer = this.rawBodyCheck.answerProbe(request.headers, request.rawBody);
      if (probeAnswer) return probeAnswer;
      const rawBody = request.rawBody;
      if (!Buffer.isBuffer(rawBody) && !announcesBody(request.headers)) throw new BadRequestException('Empty body');
      // RawBodyStartupCheck stops an app without raw bodies at start-up; this stays for what its probe could not see.
      if (!Buffer.isBuffer(rawBody)) {
        this.logger.error(RAW_BODY_HELP);
        throw new InternalServerErrorException(RAW_BODY_HELP);
      }
      if (rawBody.length > this.options.maxWebhookBodyBytes) throw new PayloadTooLargeException(`Body over ${this.options.maxWebhookBodyBytes} bytes`);
      const event = await this.verifier.verify(rawBody, signature).catch((error: unknown) => this.counted('rejected', error));
      const outcome = await (this.options.webhookProcessing === 'deferred' ? this.inbox.accept(event) : this.processor.process(event)).catch((error: unknown) => this.counted('failed', error));
      this.metrics.webhookEvent(outcome);
      return { received: true, outcome };
    }

    private counted(outcome: WebhookEventOutcome, error: unknown): never {
      this.metrics.webhookEvent(outcome);
      throw error;
    }
  }
  return LitestripeWebhookController;
}

/** Express keeps no raw body for a request without one, which is the client's fault, not the host's. */
function announcesBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase());
  const b = Buffer.from(expected.toLowerCase());
  return a.length === b.length && timingSafeEqual(a, b);
}
