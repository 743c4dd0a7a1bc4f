import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional, Type } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, ModulesContainer } from '@nestjs/core';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import { errorMessage } from '../common/describe-error.js';
import { RawBodyMissingError, RawBodyProblem } from '../errors/raw-body-missing.error.js';
import { probeExpress, probeFastify, ProbeFailure, ProbeRequest } from './raw-body.probe.js';
import { WEBHOOK_METHOD_PATH, webhookRoutePattern } from './webhook-route.path.js';

/** The header that marks the probe; its value is a token only this check knows, for that one request. */
export const RAW_BODY_PROBE_HEADER = 'x-litestripe-raw-body-probe';

/** What the webhook answers the probe (200): no Stripe event, nothing verified, stored or logged. */
export interface RawBodyProbeAnswer {
  received: false;
  probe: 'raw-body';
}

const PROBE_ANSWER: RawBodyProbeAnswer = Object.freeze({ received: false, probe: 'raw-body' });
const PROBE_TIMEOUT_MS = 10_000;

interface RunningProbe {
  token: Buffer;
  body: Buffer;
  /** What the webhook found in `request.rawBody`, once the probe reached it. */
  seen?: 'exact' | RawBodyProblem;
}

/**
 * Stops an HTTP app's start-up when its webhook would get no raw body (the app was created
 * without `rawBody: true`), instead of a 500 on Stripe's first delivery.
 *
 * At `onApplicationBootstrap` (the last step of `app.init()`, which `listen()` runs first: every
 * body parser, middleware, guard and route is in place), it sends one unsigned JSON POST (not a
 * Stripe event) to the webhook's own route through the app's own HTTP stack: on Express, through the
 * Express app served for that one request on a loopback port of its own; on Fastify, with
 * `inject()`. The request carries a random token in {@link RAW_BODY_PROBE_HEADER}; the webhook
 * controller recognises it (only while the probe runs), tells this check what `request.rawBody`
 * held, and answers at once, before any signature check, event-log row or log line. No raw body,
 * or other bytes than were sent: start-up stops with {@link RawBodyMissingError}. The probe not
 * reaching the webhook (a guard or middleware in front of it, a version header it lacks) proves
 * nothing either way: one warning, and the webhook's own 500 stays as the second line of defence.
 *
 * Nothing is probed in an application context or a microservice (no HTTP adapter), nor when the
 * module has no webhook controller.
 */
@Injectable()
export class RawBodyStartupCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Litestripe');
  private webhook?: { controller: Type<unknown>; path: string };
  private running?: RunningProbe;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(ModulesContainer) private readonly modules: ModulesContainer,
    @Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** Called by the webhook controller Nest creates: the route to probe (`path` is the controller's). */
  attach(controller: Type<unknown>, path: string): void {
    this.webhook ??= { controller, path };
  }

  /**
   * For the webhook controller, before anything else reads the body: the probe's answer if this
   * request is the probe (its token matches the one running now), else undefined.
   */
  answerProbe(headers: IncomingHttpHeaders, rawBody: unknown): RawBodyProbeAnswer | undefined {
    const running = this.running;
    const given = headers[RAW_BODY_PROBE_HEADER];
    if (!running || typeof given !== 'string') return undefined;
    const token = Buffer.from(given);
    if (token.length !== running.token.length || !timingSafeEqual(token, running.token)) return undefined;
    running.seen = !Buffer.isBuffer(rawBody) ? 'missing' : rawBody.equals(running.body) ? 'exact' : 'altered';
    return PROBE_ANSWER;
  }

  async onApplicationBootstrap(): Promise<void> {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || !this.webhook) return;
    const type = adapter.getType();
    if (type !== 'express' && type !== 'fastify') return;

    const pattern = webhookRoutePattern(this.moduleRef, this.modules, this.webhook.controller, this.webhook.path);
    if (!pattern) {
      this.logger.warn(`Could not check at start-up that the app keeps raw request bodies for the Stripe webhook: its route's path could not be worked out. ${SECOND_LINE}`);
      return;
    }
    const route = `POST ${pattern}`;
    const running: RunningProbe = { token: Buffer.from(randomBytes(32).toString('hex')), body: probeBody() };
    const request: ProbeRequest = {
      path: `${pattern.slice(0, -WEBHOOK_METHOD_PATH.length)}/${this.options.webhookUuid}`,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'litestripe-raw-body-probe',
        [RAW_BODY_PROBE_HEADER]: running.token.toString(),
      },
      body: running.body,
      timeoutMs: PROBE_TIMEOUT_MS,
    };

    this.running = running;
    let outcome: string;
    try {
      const status =
        type === 'express' ? await probeExpress(adapter.getInstance<RequestListener>(), request) : await probeFastify(adapter.getInstance(), request);
      outcome = `it was answered ${status}`;
    } catch (error) {
      // Fastify's `ready()` failing is the app's own start-up error, which `listen()` would throw too.
      if (!(error instanceof ProbeFailure) && !running.seen) throw error;
      outcome = `it failed: ${errorMessage(error)}`;
    } finally {
      this.running = undefined;
    }

    if (running.seen === 'exact') return;
    if (running.seen) throw new RawBodyMissingError(type, route, running.seen);
    this.logger.warn(
      `Could not check at start-up that the app keeps raw request bodies for the Stripe webhook: a probe request to ${route} did not reach it (${outcome}; a guard, middleware or versioning in front of the webhook?). ${SECOND_LINE}`,
    );
  }
}

const SECOND_LINE = 'Without them, the webhook answers each delivery with a 500 that says what to add.';

/** A JSON body that is not a Stripe event, laid out unlike any re-serialisation (so altered bytes show), unique per probe. */
function probeBody(): Buffer {
  return Buffer.from(`{ "object" : "litestripe_raw_body_probe",\n  "nonce" : "${randomBytes(8).toString('hex')}" }\n`);
}
