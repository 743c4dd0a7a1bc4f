import { signStripePayload } from '@litestripe/nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { TestApp } from './test-app';

/** Helpers for webhook deliveries whose bytes or headers a test controls exactly. */

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Posts `body` as it is (no re-serialisation) with exactly `headers`. */
export async function postRaw(t: TestApp, body: string | Buffer, headers: Record<string, string>, path = t.webhookUrl): Promise<request.Response> {
  return t.settle(await request(t.app.getHttpServer()).post(path).set(headers).send(body), eventIdOf(body));
}

function eventIdOf(body: string | Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString()) as { id?: string })?.id;
  } catch {
    return undefined;
  }
}

/** JSON headers with a `Stripe-Signature` over `signedBody` (the body sent may differ). */
export async function signedHeaders(signedBody: string, secret: string, timestamp: number): Promise<Record<string, string>> {
  return { 'content-type': JSON_CONTENT_TYPE, 'stripe-signature': await signStripePayload(signedBody, secret, timestamp) };
}

export interface StoredCounts {
  events: number;
  subscriptions: number;
  orphans: number;
}

export async function storedCounts(dataSource: DataSource): Promise<StoredCounts> {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*) FROM litestripe_event)::int AS events,
            (SELECT count(*) FROM litestripe_subscription)::int AS subscriptions,
            (SELECT count(*) FROM litestripe_orphaned_payment)::int AS orphans`,
  );
  return row as StoredCounts;
}

/** Nothing in any of the module's tables, and no domain event emitted. */
export async function expectNothingStored(t: TestApp): Promise<void> {
  expect(await storedCounts(t.dataSource)).toEqual({ events: 0, subscriptions: 0, orphans: 0 });
  expect(t.recorder.names()).toEqual([]);
}

/** The raw response (body and headers) mentions none of `secrets`. */
export function expectNoneOf(response: request.Response, secrets: readonly string[]): void {
  const text = `${JSON.stringify(response.headers)}\n${response.text ?? ''}`.toLowerCase();
  for (const secret of secrets) expect(text).not.toContain(secret.toLowerCase());
}
