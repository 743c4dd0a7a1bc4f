import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { SubscriptionScenario, T0 } from '../../support/scenario';

/**
 * Hostile webhook requests for the fuzz scenario. None of them is a genuine delivery: every body
 * that parses as a Stripe event carries a signature that must fail (wrong secret, other payload,
 * stale or future timestamp, wrong bytes), and every correctly signed body is not an event. So
 * whatever the module does with them, it must write nothing. Each kind lists the answers it may
 * get; 0 means the server closed the connection without one (allowed only where Node itself
 * refuses oversized input).
 */
export interface HostileRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  /** Bytes written on a raw socket instead (malformed HTTP). */
  raw?: Buffer;
}

interface Kind {
  name: string;
  weight: number;
  allowed: number[];
  make(ctx: Context): HostileRequest;
}

interface Context {
  path: string;
  uuid: string;
  secret: string;
  random: () => number;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const now = () => Math.floor(Date.now() / 1000);

/** A Stripe signature header exactly as Stripe computes it, over the exact bytes given. */
export function signBytes(body: Buffer | string, secret: string, timestamp = now()): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

function realEvent(random: () => number): Stripe.Event {
  const s = new SubscriptionScenario();
  const pick = Math.floor(random() * 3);
  if (pick === 0) return s.checkout({ clientReferenceId: random() < 0.5 ? null : 'acct_fuzz', email: 'fuzz-victim@example.com' }, T0);
  if (pick === 1) return s.invoice('invoice.paid', `in_fuzz${Math.floor(random() * 1e9)}`, T0);
  return s.subscription('created', { status: 'active', metadata: { client_reference_id: 'acct_fuzz' } }, T0);
}

const eventBody = (random: () => number) => Buffer.from(JSON.stringify(realEvent(random), null, 2));
const int = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pickOne = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const post = (ctx: Context, kind: string, body: Buffer | null, headers: Record<string, string | string[]>, path = ctx.path): HostileRequest => ({
  kind,
  method: 'POST',
  path,
  headers,
  body,
});

/** Random JSON that is never a Stripe event (no `evt_` id). */
function randomJson(random: () => number, depth = 0): unknown {
  const roll = random();
  if (depth > 3 || roll < 0.3) return pickOne(random, [null, true, 42, -1e308, 'evt', '\u0000\u2028', 'x'.repeat(int(random, 0, 300))]);
  if (roll < 0.5) return Array.from({ length: int(random, 0, 5) }, () => randomJson(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = int(random, 0, 6); i > 0; i--) object[pickOne(random, ['id', 'type', 'created', 'data', 'object', 'livemode', randomBytes(3).toString('hex')])] = randomJson(random, depth + 1);
  if (typeof object.id === 'string' && object.id.startsWith('evt_')) object.id = 'not_an_event';
  return object;
}

function invalidUtf8(bytes: Buffer, random: () => number): Buffer {
  const out = Buffer.from(bytes);
  const sequences = [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];
  for (let i = int(random, 1, 8); i > 0; i--) {
    const at = int(random, 0, Math.max(0, out.length - 6));
    Buffer.from(pickOne(random, sequences)).copy(out, at);
  }
  return out;
}

export const KINDS: Kind[] = [
  {
    name: 'random bytes',
    weight: 8,
    allowed: [400],
    make: (ctx) => post(ctx, 'random bytes', randomBytes(int(ctx.random, 1, 4096)), { 'content-type': JSON_TYPE, 'stripe-signature': `t=${now()},v1=${randomBytes(32).toString('hex')}` }),
  },
  {
    name: 'signed non-event JSON',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      const body = Buffer.from(JSON.stringify(randomJson(ctx.random)) ?? 'null');
      return post(ctx, 'signed non-event JSON', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
    },
  },
  {
    name: 'truncated body',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      const full = eventBody(ctx.random);
      const cut = full.subarray(0, int(ctx.random, 1, full.length - 2));
      return post(ctx, 'truncated body', cut, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(ctx.random() < 0.5 ? full : cut, ctx.secret) });
    },
  },
  {
    name: 'invalid UTF-8',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      if (ctx.random() < 0.5) {
        // An event whose bytes were damaged after signing.
        const body = eventBody(ctx.random);
        return post(ctx, 'invalid UTF-8', invalidUtf8(body, ctx.random), { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
      }
      // Correctly signed, invalid bytes, not an event.
      const body = invalidUtf8(Buffer.from(JSON.stringify({ id: 'not_an_event', note: 'x'.repeat(64), data: { object: { name: 'y'.repeat(64) } } })), ctx.random);
      return post(ctx, 'invalid UTF-8', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
    },
  },
  {
    name: 'wrong UUID',
    weight: 8,
    allowed: [404, 400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      const near = ctx.uuid.slice(0, -1) + (ctx.uuid.endsWith('0') ? '1' : '0');
      const segment = pickOne(ctx.random, [randomUUID(), near, `${ctx.uuid}0`, ctx.uuid.slice(0, 20), '%FF', '..%2F..%2Fetc%2Fpasswd', '%E2%98%83', 'a'.repeat(4000), `${ctx.uuid}%00`, '']);
      return post(ctx, 'wrong UUID', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) }, `/ls/hook/${segment}`);
    },
  },
  {
    name: 'replayed timestamp',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      return post(ctx, 'replayed timestamp', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret, now() - int(ctx.random, 301, 30 * 86_400)) });
    },
  },
  {
    name: 'future timestamp',
    weight: 6,
    allowed: [400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      const header = ctx.random() < 0.8 ? signBytes(body, ctx.secret, now() + int(ctx.random, 301, 10 * 365 * 86_400)) : signBytes(body, ctx.secret).replace(/^t=\d+/, 't=99999999999999999999');
      return post(ctx, 'future timestamp', body, { 'content-type': JSON_TYPE, 'stripe-signature': header });
    },
  },
  {
    name: 'signature of another payload',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      return post(ctx, 'signature of another payload', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(eventBody(ctx.random), ctx.secret) });
    },
  },
  {
    name: 'wrong secret',
    weight: 5,
    allowed: [400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      return post(ctx, 'wrong secret', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, `whsec_${randomBytes(16).toString('hex')}`) });
    },
  },
  {
    name: 'malformed signature header',
    weight: 8,
    allowed: [400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      const mac = randomBytes(32).toString('hex');
      const header = pickOne<string | string[]>(ctx.random, [
        '',
        't=',
        'v1=',
        't=abc,v1=xyz',
        ',,,,',
        `t=${now()}`,
        `v1=${mac}`,
        `t=${now()},v0=${mac}`,
        [`t=${now()}`, `v1=${mac}`],
        Array.from({ length: 150 }, () => `v1=${randomBytes(32).toString('hex')}`).join(',') + `,t=${now()}`,
        `t=${now()},v1=${'ü'.repeat(64)}`,
        `t=-1,v1=${mac}`,
        `t=1e10,v1=${mac}`,
      ]);
      return post(ctx, 'malformed signature header', body, { 'content-type': JSON_TYPE, 'stripe-signature': header });
    },
  },
  {
    name: 'wrong content type',
    weight: 8,
    allowed: [415, 400],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      const type = pickOne(ctx.random, [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=chaos',
        'application/jsonp',
        'application/json-seq',
        'text/json',
        'application/xml',
        'application/octet-stream',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        '',
      ]);
      const headers: Record<string, string> = { 'stripe-signature': signBytes(body, ctx.secret) };
      if (type) headers['content-type'] = type;
      return post(ctx, 'wrong content type', body, headers);
    },
  },
  {
    name: 'huge header',
    weight: 4,
    allowed: [431, 400, 0],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, `whsec_${randomBytes(8).toString('hex')}`) };
      if (ctx.random() < 0.7) headers['x-chaos-pad'] = 'p'.repeat(int(ctx.random, 16 * 1024, 64 * 1024));
      else headers['stripe-signature'] += ',' + Array.from({ length: int(ctx.random, 100, 220) }, () => `v1=${randomBytes(32).toString('hex')}`).join(',');
      return post(ctx, 'huge header', body, headers);
    },
  },
  {
    name: 'huge body',
    weight: 3,
    allowed: [413, 0],
    make: (ctx) => {
      // A real event padded past 1 MiB, correctly signed: only the size limit stands between it and the database.
      const event = realEvent(ctx.random) as unknown as { data: { object: { metadata: Record<string, string> } } };
      event.data.object.metadata = { pad: 'z'.repeat(int(ctx.random, 1024 * 1024, 3 * 1024 * 1024)) };
      const body = Buffer.from(JSON.stringify(event));
      return post(ctx, 'huge body', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
    },
  },
  {
    name: 'deeply nested JSON',
    weight: 2,
    // Past 1 MiB (the deepest objects) the size limit answers first.
    allowed: [400, 413],
    make: (ctx) => {
      const depth = int(ctx.random, 10_000, 300_000);
      const body = Buffer.from(ctx.random() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
      return post(ctx, 'deeply nested JSON', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
    },
  },
  {
    name: 'prototype pollution',
    weight: 2,
    allowed: [400],
    make: (ctx) => {
      const body = Buffer.from('{"__proto__":{"id":"evt_polluted","type":"customer.subscription.created","created":1,"data":{"object":{}}},"constructor":{"prototype":{"polluted":true}}}');
      return post(ctx, 'prototype pollution', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) });
    },
  },
  {
    name: 'wrong method',
    weight: 2,
    allowed: [404],
    make: (ctx) => {
      const body = eventBody(ctx.random);
      return { ...post(ctx, 'wrong method', body, { 'content-type': JSON_TYPE, 'stripe-signature': signBytes(body, ctx.secret) }), method: pickOne(ctx.random, ['GET', 'PUT', 'PATCH', 'DELETE']) };
    },
  },
  {
    name: 'malformed HTTP',
    weight: 4,
    allowed: [400],
    make: (ctx) => {
      const signature = `t=${now()},v1=${randomBytes(32).toString('hex')}`;
      const raw = pickOne(ctx.random, [
        // A POST without any body (no Content-Length, no Transfer-Encoding).
        `POST ${ctx.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${JSON_TYPE}\r\nStripe-Signature: ${signature}\r\nConnection: close\r\n\r\n`,
        `POST ${ctx.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${JSON_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        `POST ${ctx.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 5\r\nContent-Type: ${JSON_TYPE}\r\nConnection: close\r\n\r\n{}`,
        `\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003 not http\r\n\r\n`,
        `POST ${ctx.path} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`,
      ]);
      return { kind: 'malformed HTTP', method: 'POST', path: ctx.path, headers: {}, body: null, raw: Buffer.from(raw, 'latin1') };
    },
  },
];

export function allowedStatuses(kind: string): number[] {
  return KINDS.find((k) => k.name === kind)?.allowed ?? [];
}

/** The next hostile request, kinds drawn by weight. */
export function hostileRequest(ctx: Context): HostileRequest {
  const total = KINDS.reduce((n, k) => n + k.weight, 0);
  let roll = ctx.random() * total;
  for (const kind of KINDS) {
    roll -= kind.weight;
    if (roll < 0) return kind.make(ctx);
  }
  return KINDS[0].make(ctx);
}
