import { LitestripeConfigError } from './litestripe-config.error.js';

/**
 * What the start-up probe of the webhook found in `request.rawBody`: nothing (the app was created
 * without `rawBody: true`, or its own body parser keeps no bytes), or other bytes than were sent.
 */
export type RawBodyProblem = 'missing' | 'altered';

const REMEDY: Record<string, string> = {
  express:
    'Add `rawBody: true` where the app is created: `NestFactory.create(AppModule, { rawBody: true })` ' +
    '(in tests: `moduleRef.createNestApplication({ rawBody: true })`).',
  fastify:
    'Add `rawBody: true` where the app is created, as the options after the adapter: ' +
    '`NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { rawBody: true })` ' +
    '(in tests: `moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: true })`); it is not an option of `FastifyAdapter` itself.',
};

/**
 * The webhook gets no raw request body (the app was created without `rawBody: true`), found at
 * start-up by a probe request through the app's own HTTP stack. Every Stripe delivery would fail
 * its signature check, so start-up stops with this error. A {@link LitestripeConfigError} for
 * `rawBody`, with a message of its own: `rawBody` is an option of the Nest app, not of the module.
 */
export class RawBodyMissingError extends LitestripeConfigError {
  constructor(
    /** The HTTP adapter: `express` or `fastify`. */
    readonly adapter: string,
    /** The webhook route, as registered (`POST /ls/hook/:uuid`, under any global prefix). */
    readonly route: string,
    readonly found: RawBodyProblem,
  ) {
    const missing = found === 'missing';
    const problem = missing
      ? 'receives no raw request body (`request.rawBody`)'
      : 'receives a `request.rawBody` that is not the bytes that were sent (something in the app replaces it)';
    const remedy = missing
      ? `${REMEDY[adapter] ?? `${REMEDY.express} With Fastify: ${REMEDY.fastify}`} ` +
        "If the app turns Nest's body parser off (`bodyParser: false`), its own JSON parser must keep the exact bytes it read in `request.rawBody`."
      : 'Leave `request.rawBody` as Nest sets it with `rawBody: true`: a JSON parser or middleware of the app\'s own must keep the exact bytes it read there.';
    super('rawBody', problem, remedy);
    this.message =
      `Litestripe stopped the app's start-up: the Stripe webhook (${route}) ${problem}, so it could not verify any Stripe ` +
      `signature and would refuse every delivery. ${remedy}`;
    this.name = 'RawBodyMissingError';
  }
}
