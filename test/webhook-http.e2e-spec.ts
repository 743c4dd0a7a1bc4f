import { StripeEventLog, StripeSubscription } from '@litestripe/nestjs';
import { buildStripeEvent, signStripePayload, stripeId } from '@litestripe/nestjs/testing';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { join } from 'node:path';
import { expectNoneOf, expectNothingStored, JSON_CONTENT_TYPE, postRaw, signedHeaders, storedCounts } from './support/raw-webhook';
import { SubscriptionScenario, T0 } from './support/scenario';
import { fixture } from './support/stripe-objects';
import { Adapter, createTestApp, TestApp, WEBHOOK_SECRET } from './support/test-app';
import { truncateTables } from './support/test-database';

/**
 * The webhook endpoint at the HTTP level, on both adapters: every malformed, forged, replayed or
 * misdirected delivery is refused with a 4xx (or a 500 that says how to fix the app) and leaves
 * no trace in the database and no domain event; the secrets never leak into a response.
 */

const SECRET_KEY = 'sk_test_litestripe';
/** The app accepts both: the old secret (the support's default) and the one rotated in. */
const OLD_SECRET = WEBHOOK_SECRET;
const NEW_SECRET = 'whsec_rotatednewsecretbbbbbbbbbbbbbbbbbbbbb';
const FOREIGN_SECRET = 'whsec_someoneelsesecretcccccccccccccccccccc';
const SECRETS = [OLD_SECRET, NEW_SECRET, FOREIGN_SECRET, SECRET_KEY];
const MAX_BODY = 8192;
const TOLERANCE = 300;

const SIGNATURE_FIXTURES = join(__dirname, 'fixtures', 'signature');
const signatureFixture = (name: string) => readFileSync(join(SIGNATURE_FIXTURES, name), 'utf8');

/** A delivery that would write a subscription row and emit events if it were accepted. */
function subscriptionEventBody(): string {
  const s = new SubscriptionScenario();
  return JSON.stringify(s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_1' } }, T0), null, 2);
}

/** Stripe's `charge.succeeded` (a type the module does not handle), with a fresh id. */
function chargeEvent(extra: Record<string, unknown> = {}) {
  const captured = fixture('ruby-mock-charge.succeeded.json');
  return { ...captured, id: stripeId('evt'), created: T0, data: { ...captured.data, object: { ...captured.data.object, ...extra } } };
}

/** A signed `charge.succeeded` body of exactly `bytes` bytes. */
function chargeBodyOfSize(bytes: number): string {
  const event = chargeEvent({ metadata: { pad: '' } });
  const base = JSON.stringify(event, null, 2).length;
  if (bytes < base) throw new Error(`cannot make a body of ${bytes} bytes: the smallest is ${base}`);
  const body = JSON.stringify({ ...event, data: { object: { ...event.data.object, metadata: { pad: 'x'.repeat(bytes - base) } } } }, null, 2);
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

describe.each(['express', 'fastify'] as Adapter[])('webhook endpoint over HTTP (%s)', (adapter) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ adapter, options: { secretKey: SECRET_KEY, webhookSecret: [OLD_SECRET, NEW_SECRET], maxWebhookBodyBytes: MAX_BODY } });
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    await truncateTables(t.dataSource);
    t.recorder.clear();
  });

  /** Asserts a refused delivery: the status, no trace, and no secret (nor the endpoint's UUID) in the response. */
  async function expectRefused(res: { status: number }, status: number | '4xx'): Promise<void> {
    if (status === '4xx') {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    } else {
      expect(res.status).toBe(status);
    }
    expectNoneOf(res as never, [...SECRETS, t.uuid]);
    await expectNothingStored(t);
  }

  describe('signature', () => {
    it('accepts a delivery signed with the configured secret (control for the refusals below)', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, outcome: 'processed' });
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 1, orphans: 0 });
      expectNoneOf(res, SECRETS);
    });

    it('answers a POST with no body at all 400, not a 5xx', async () => {
      const res = await request(t.app.getHttpServer()).post(t.webhookUrl).set({ 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': 't=1,v1=00' });
      await expectRefused(res, 400);
    });

    it('refuses a body signed with another secret', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, FOREIGN_SECRET, t.clock.seconds()));
      await expectRefused(res, 400);
      expect(res.body.message).toBe('No signature matches any configured webhook secret');
    });

    it('accepts the original capture with its own signature, and refuses its tampered and re-serialised copies under that signature', async () => {
      const original = signatureFixture('original_customer.subscription.updated.json');
      const headers = await signedHeaders(original, OLD_SECRET, t.clock.seconds());

      for (const name of ['tampered_customer.subscription.updated.json', 'reserialized-compact_customer.subscription.updated.json']) {
        const copy = signatureFixture(name);
        expect(copy).not.toBe(original);
        const res = await postRaw(t, copy, headers);
        await expectRefused(res, 400);
        expect(res.body.message).toBe('No signature matches any configured webhook secret');
      }

      const res = await postRaw(t, original, headers);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, outcome: 'processed' });
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 1, orphans: 0 });
    });

    it('refuses a delivery without a Stripe-Signature header', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE });
      await expectRefused(res, 400);
      expect(res.body.message).toBe('Missing Stripe-Signature header');
    });

    it.each([
      ['garbage', 'Malformed Stripe-Signature header'],
      ['v1=0123456789abcdef', 'Malformed Stripe-Signature header'],
      ['t=,v1=', /signature/i],
      ['t=1764000000', /signature/i],
      ['t=1764000000,v0=0123456789abcdef', /signature/i],
    ])('refuses a malformed Stripe-Signature header %j', async (header, message) => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': header });
      await expectRefused(res, 400);
      if (typeof message === 'string') expect(res.body.message).toBe(message);
      else expect(res.body.message).toMatch(message);
    });
  });

  describe('timestamp tolerance (300 s)', () => {
    it('accepts a signature made 290 s ago', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds() - (TOLERANCE - 10)));
      expect(res.status).toBe(200);
    });

    it.each([
      ['the first', OLD_SECRET],
      ['the second', NEW_SECRET],
    ])('refuses a replay older than the tolerance, signed with %s configured secret', async (_, secret) => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, secret, t.clock.seconds() - (TOLERANCE + 10)));
      await expectRefused(res, 400);
      expect(res.body.message).toBe('Signature timestamp outside the tolerance zone');
    });

    it('accepts a timestamp slightly ahead of the server clock (skew)', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds() + 60));
      expect(res.status).toBe(200);
    });

    it('refuses a timestamp further in the future than the tolerance', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds() + TOLERANCE + 3600));
      await expectRefused(res, 400);
      expect(res.body.message).toBe('Signature timestamp outside the tolerance zone');
    });

    it.each([
      [-TOLERANCE, 200],
      [-TOLERANCE - 1, 400],
      [TOLERANCE, 200],
      [TOLERANCE + 1, 400],
    ])('measures the window to the second on the module clock: signed at its time %+d s answers %d', async (offset, status) => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds() + offset));
      expect(res.status).toBe(status);
    });
  });

  describe('secret rotation (webhookSecret: [old, new])', () => {
    it('accepts deliveries signed with either configured secret', async () => {
      for (const secret of [OLD_SECRET, NEW_SECRET]) {
        const body = subscriptionEventBody();
        const res = await postRaw(t, body, await signedHeaders(body, secret, t.clock.seconds()));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ received: true, outcome: 'processed' });
        expectNoneOf(res, SECRETS);
      }
      expect(await storedCounts(t.dataSource)).toEqual({ events: 2, subscriptions: 2, orphans: 0 });
    });

    it('refuses a third secret', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, FOREIGN_SECRET, t.clock.seconds()));
      await expectRefused(res, 400);
    });

    it('accepts a header carrying several v1 signatures when one of them matches (Stripe rolling its own secret)', async () => {
      const body = subscriptionEventBody();
      const timestamp = t.clock.seconds();
      const v1 = async (secret: string) => (await signStripePayload(body, secret, timestamp)).split(',').find((part) => part.startsWith('v1='))!;
      const header = `t=${timestamp},${await v1(FOREIGN_SECRET)},${await v1(NEW_SECRET)}`;
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': header });
      expect(res.status).toBe(200);
      expect(res.body.outcome).toBe('processed');
    });
  });

  describe('body', () => {
    it('refuses malformed JSON even under a valid signature over those bytes', async () => {
      const body = '{"id": "evt_malformed", "object": "event", "type": "customer.subscription.created", "data": {';
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()));
      await expectRefused(res, 400);
    });

    it('refuses an empty body, even under a signature over the empty string', async () => {
      const res = await postRaw(t, '', await signedHeaders('', OLD_SECRET, t.clock.seconds()));
      await expectRefused(res, 400);
    });

    it.each([
      ['an object that is not an event', '{"hello":"world"}'],
      ['an array', '[{"id":"evt_1"}]'],
      ['an event whose id is not evt_', JSON.stringify({ id: 'ch_1', object: 'event', type: 'charge.succeeded', created: 1764000000, data: { object: {} } })],
      ['an event without a type', JSON.stringify({ id: 'evt_1', object: 'event', created: 1764000000, data: { object: {} } })],
      ['an event whose data.object is null', JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', created: 1764000000, data: { object: null } })],
    ])('refuses %s under a valid signature', async (_, body) => {
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()));
      await expectRefused(res, 400);
      expect(res.body.message).toBe('Body is not a Stripe event');
    });

    it(`accepts a body of exactly maxWebhookBodyBytes (${MAX_BODY}) and answers 413 one byte over`, async () => {
      const atLimit = chargeBodyOfSize(MAX_BODY);
      const accepted = await postRaw(t, atLimit, await signedHeaders(atLimit, OLD_SECRET, t.clock.seconds()));
      expect(accepted.status).toBe(200);
      expect(accepted.body.outcome).toBe('ignored');
      await truncateTables(t.dataSource);

      const over = chargeBodyOfSize(MAX_BODY + 1);
      const res = await postRaw(t, over, await signedHeaders(over, OLD_SECRET, t.clock.seconds()));
      await expectRefused(res, 413);
    });

    it('answers 413 to a much larger body before looking at its signature', async () => {
      const body = chargeBodyOfSize(MAX_BODY * 4);
      const res = await postRaw(t, body, { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': 'garbage' });
      await expectRefused(res, 413);
    });

    it.each(['text/plain', 'application/xml', 'application/json-patch+json', 'application/x-www-form-urlencoded'])('refuses a delivery with Content-Type %s with a 4xx, not a 5xx', async (contentType) => {
      const body = subscriptionEventBody();
      const headers = await signedHeaders(body, OLD_SECRET, t.clock.seconds());
      const res = await postRaw(t, body, { ...headers, 'content-type': contentType });
      await expectRefused(res, '4xx');
    });
  });

  describe('routing', () => {
    /** What the framework answers for a path no route serves. */
    async function frameworkNotFound(path: string) {
      const res = await postRaw(t, '{}', { 'content-type': JSON_CONTENT_TYPE }, path);
      expect(res.status).toBe(404);
      return res;
    }

    it('answers a wrong UUID with a 404 that reveals nothing and looks like any unknown path', async () => {
      const wrongUuid = '00000000-0000-4000-8000-000000000000';
      const body = subscriptionEventBody();
      const path = `/ls/hook/${wrongUuid}`;
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()), path);
      await expectRefused(res, 404);
      expect(res.text.toLowerCase()).not.toMatch(/uuid|secret|litestripe|stripe|signature/);

      const unknown = await frameworkNotFound(`/ls/hoop/${wrongUuid}`);
      expect(res.body).toEqual(JSON.parse(unknown.text.replace('/ls/hoop/', '/ls/hook/')));
    });

    it.each([
      ['a UUID of another length', (uuid: string) => `/ls/hook/${uuid}0`],
      ['a UUID prefix', (uuid: string) => `/ls/hook/${uuid.slice(0, 8)}`],
    ])('answers 404 to %s', async (_, pathOf) => {
      const body = subscriptionEventBody();
      const path = pathOf(t.uuid);
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()), path);
      expect(res.status).toBe(404);
      expectNoneOf(res, SECRETS);
      expect(res.text.toLowerCase()).not.toMatch(/secret|litestripe|signature/);
      await expectNothingStored(t);
    });

    it('accepts the UUID in upper case (UUIDs are case-insensitive)', async () => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()), `/ls/hook/${t.uuid.toUpperCase()}`);
      expect(res.status).toBe(200);
    });

    it.each([
      ['no UUID', () => '/ls/hook'],
      ['a path below the webhook', (uuid: string) => `/ls/hook/${uuid}/extra`],
      ['another prefix', (uuid: string) => `/ls/${uuid}`],
    ])('answers 404 to a POST with %s', async (_, pathOf) => {
      const body = subscriptionEventBody();
      const res = await postRaw(t, body, await signedHeaders(body, OLD_SECRET, t.clock.seconds()), pathOf(t.uuid));
      expect(res.status).toBe(404);
      expectNoneOf(res, SECRETS);
      await expectNothingStored(t);
    });

    it('answers 404 to a GET of the webhook URL', async () => {
      const res = await request(t.app.getHttpServer()).get(t.webhookUrl);
      expect(res.status).toBe(404);
      expectNoneOf(res, SECRETS);
      await expectNothingStored(t);
    });
  });

  describe('event types the module does not handle', () => {
    it('logs charge.succeeded as ignored, and answers its redelivery as a duplicate', async () => {
      const event = chargeEvent();
      const first = await t.deliver(event);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ received: true, outcome: 'ignored' });
      expectNoneOf(first, SECRETS);

      const log = await t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id: event.id });
      expect(log).toMatchObject({ type: 'charge.succeeded', outcome: 'ignored', apiVersion: '2020-08-27', livemode: false, attempts: 1 });
      expect(log.stripeCreated).toEqual(new Date(event.created * 1000));

      const again = await t.deliver(event);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ received: true, outcome: 'duplicate' });
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 0, orphans: 0 });
      expect(await t.dataSource.getRepository(StripeEventLog).findOneByOrFail({ id: event.id })).toMatchObject({ outcome: 'ignored', attempts: 1 });
      expect(t.recorder.names()).toEqual([]);
    });

    it('logs a checkout in payment mode (not a subscription) as ignored without touching subscriptions', async () => {
      const captured = fixture('ruby-mock-checkout.session.completed.json');
      const event = buildStripeEvent('checkout.session.completed', captured.data.object, { apiVersion: captured.api_version });
      const res = await t.deliver(event);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, outcome: 'ignored' });
      expect(await storedCounts(t.dataSource)).toEqual({ events: 1, subscriptions: 0, orphans: 0 });
      expect(await t.dataSource.getRepository(StripeSubscription).count()).toBe(0);
      expect(t.recorder.names()).toEqual([]);
    });
  });

  describe('app created without rawBody', () => {
    // Start-up stops it; the webhook's own 500 behind that check is tested in raw-body-startup.e2e-spec.ts.
    it('does not start: start-up stops with a message that says how to enable rawBody: true, names no secret, and stores nothing', async () => {
      const [{ LitestripeModule }, { compileHost }, { FastifyAdapter }] = await Promise.all([
        import('@litestripe/nestjs'),
        import('./support/module-boot'),
        import('@nestjs/platform-fastify'),
      ]);
      const uuid = '2b7e1c52-8f0a-4d3e-9c61-5a4f0e7d3b18';
      const moduleRef = await compileHost(LitestripeModule.forRoot({ secretKey: SECRET_KEY, webhookUuid: uuid, webhookSecret: [OLD_SECRET, NEW_SECRET] }));
      const app =
        adapter === 'fastify'
          ? moduleRef.createNestApplication(new FastifyAdapter(), { rawBody: false, logger: false })
          : moduleRef.createNestApplication({ rawBody: false, logger: false });
      try {
        const error = await app.init().then(
          () => new Error('the app started'),
          (thrown: Error) => thrown,
        );
        expect(error.name).toBe('RawBodyMissingError');
        expect(error.message).toContain('rawBody: true');
        expect(error.message).toContain(adapter === 'fastify' ? 'FastifyAdapter' : 'NestFactory.create');
        for (const secret of [...SECRETS, uuid]) expect(error.message.toLowerCase()).not.toContain(secret.toLowerCase());
        expect(await storedCounts(t.dataSource)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
        expect(t.recorder.names()).toEqual([]);
      } finally {
        await app.close();
      }
    });
  });
});
