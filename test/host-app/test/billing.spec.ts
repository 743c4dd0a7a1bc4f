// The app's own tests, written with @litestripe/nestjs/testing as its README shows. One file for both
// runners: Vitest (globals: true) and Jest provide the same describe/it/expect.
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { BillingService, LitestripeEvents, SubscriptionService } from '@litestripe/nestjs';
import { entitlementCacheCaughtUp, FakeStripe, resetLitestripe, signedDelivery, withFakeStripe } from '@litestripe/nestjs/testing';
import { AppModule } from '../src/app.module.js';
import { BillingEventsListener } from '../src/billing-events.listener.js';

const WEBHOOK_UUID = '5d0c3b7a-2f4e-4c1d-9a8b-7e6f5d4c3b2a';
const WEBHOOK = `/ls/hook/${WEBHOOK_UUID}`;

describe('the host app on @litestripe/nestjs', () => {
  let fake: FakeStripe;
  let app: INestApplication;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    fake.seedPrice({ lookupKey: 'host_pro_monthly' });
    process.env.STRIPE_WEBHOOK_UUID = WEBHOOK_UUID; // read by litestripeOptionsFromEnv in AppModule
    const moduleRef = await withFakeStripe(Test.createTestingModule({ imports: [AppModule] }), fake).compile();
    app = moduleRef.createNestApplication({ rawBody: true });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
  });
  beforeEach(() => resetLitestripe(app, { fake }));

  async function pay(accountRef: string): Promise<void> {
    const session = await app.get(BillingService).createCheckoutSession({
      accountRef,
      lookupKey: 'host_pro_monthly',
      successUrl: 'https://host.example/welcome',
      cancelUrl: 'https://host.example/pricing',
    });
    for (const event of fake.completeCheckoutSession(session.id).events) {
      const { body, headers } = await signedDelivery(event, fake.webhookSecret);
      await request(app.getHttpServer()).post(WEBHOOK).set(headers).send(body).expect(200);
    }
    await entitlementCacheCaughtUp(app);
  }

  it('lets an account into the export route once its checkout is paid, and tells the listener', async () => {
    await request(app.getHttpServer()).get('/premium/export').set('x-user', 'acct_1').expect(403);

    await pay('acct_1');

    await request(app.getHttpServer()).get('/premium/export').set('x-user', 'acct_1').expect(200, { export: 'csv', plan: 'pro' });
    await request(app.getHttpServer()).get('/premium/export').set('x-user', 'acct_2').expect(403);
    expect(app.get(BillingEventsListener).received).toContain(LitestripeEvents.SubscriptionActivated);
  });

  it('starts every test from empty tables and an empty cache (resetLitestripe)', async () => {
    expect(await app.get(SubscriptionService).isEntitled('acct_1')).toBe(false);
    await request(app.getHttpServer()).get('/premium/export').set('x-user', 'acct_1').expect(403);
  });

  it('refuses a delivery signed with another secret and records nothing', async () => {
    await pay('acct_3');
    const [event] = fake.completeCheckoutSession(
      (await app.get(BillingService).createCheckoutSession({ accountRef: 'acct_4', lookupKey: 'host_pro_monthly', successUrl: 'https://host.example/a', cancelUrl: 'https://host.example/b' })).id,
    ).events;
    const { body, headers } = await signedDelivery(event, 'whsec_NotTheEndpointSecret0123');

    await request(app.getHttpServer()).post(WEBHOOK).set(headers).send(body).expect(400);
    await entitlementCacheCaughtUp(app);
    expect(await app.get(SubscriptionService).isEntitled('acct_4')).toBe(false);
    expect(await app.get(SubscriptionService).isEntitled('acct_3')).toBe(true);
  });
});
