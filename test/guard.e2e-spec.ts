import { Controller, Get, Headers, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LitestripeConfigError, LitestripeModule } from '@litestripe/nestjs';
import { BillingService, CurrentEntitlement, RequiresFeature, RequiresPlan, RequiresSubscription, SkipSubscriptionCheck, SubscriptionGuard, SubscriptionService } from '@litestripe/nestjs';
import type { Entitlement } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';
import { bootAndClose, closeOpenedDataSources, compileHost } from './support/module-boot';
import { Adapter, WEBHOOK_SECRET } from './support/test-app';
import { HeaderAuthGuard } from './support/header-auth.guard';

@Controller('reports')
class ReportsController {
  @Get('public')
  open() {
    return { open: true };
  }

  @RequiresSubscription()
  @Get('any')
  any(@CurrentEntitlement() entitlement: Entitlement) {
    return { plan: entitlement.plan, reason: entitlement.reason, limits: entitlement.limits };
  }

  @RequiresPlan(['pro', 'enterprise'])
  @Get('pro')
  pro() {
    return { pro: true };
  }

  @RequiresFeature('sso')
  @Get('sso')
  sso() {
    return { sso: true };
  }

  @RequiresFeature(['export', 'reports'])
  @Get('export')
  exportAll() {
    return { exported: true };
  }
}

@RequiresPlan('pro')
@Controller('pro-area')
class ProAreaController {
  @Get()
  index() {
    return { area: 'pro' };
  }

  /** Both hold: the pro plan (from the controller) and sso (which pro lacks). */
  @RequiresFeature('sso')
  @Get('sso')
  sso() {
    return { sso: true };
  }
}

@Module({ controllers: [ReportsController, ProAreaController] })
class RouteGuardedModule {}

@Controller('app')
class AppController {
  @Get('dashboard')
  dashboard() {
    return { dashboard: true };
  }

  @SkipSubscriptionCheck()
  @Get('health')
  health() {
    return { healthy: true };
  }

  /** Guarded twice: by the global guard and by its own decorator. */
  @RequiresPlan('pro')
  @Get('pro-report')
  proReport(@CurrentEntitlement() entitlement: Entitlement) {
    return { plan: entitlement.plan, plans: entitlement.plans };
  }
}

/** What a past_due account must still reach under a global guard. */
@SkipSubscriptionCheck()
@Controller('billing')
class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Get('portal')
  async portal(@Headers('x-account') account: string) {
    return { url: (await this.billing.createBillingPortalSession(account, 'https://app.example/account')).url };
  }
}

@Module({ controllers: [AppController, BillingController] })
class GloballyGuardedModule {}

describe.each<Adapter>(['express', 'fastify'])('SubscriptionGuard on %s', (adapter) => {
  describe('per route and per controller, with the default resolver (request.user.id)', () => {
    let t: BillingHost;
    beforeAll(async () => {
      t = await startBillingHost({
        adapter,
        isGlobal: true,
        imports: [RouteGuardedModule],
        providers: [{ provide: APP_GUARD, useClass: HeaderAuthGuard }],
        options: { subscribeUrl: '/pricing', manageBillingUrl: '/billing/portal' },
      });
      await t.subscribe('u_basic', { plan: 'basic' });
      await t.subscribe('u_pro', { plan: 'pro' });
      await t.subscribe('u_ent', { plan: 'enterprise' });
      const late = await t.subscribe('u_late', { plan: 'pro' });
      await t.stripeChanges(late.subscription!.id, { status: 'past_due' });
    }, 30_000);
    afterAll(() => t.close());

    const get = (path: string, user?: string) => {
      const call = t.http().get(path);
      return user ? call.set('x-user', user) : call;
    };

    it('leaves undecorated routes alone', async () => {
      await get('/reports/public').expect(200, { open: true });
    });

    it('answers 401 with a JSON body when no account is signed in', async () => {
      const response = await get('/reports/any').expect(401);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Sign in to use this.', reason: 'unauthenticated' });
    });

    it('answers 403 saying a subscription is missing and where to subscribe', async () => {
      const response = await get('/reports/any', 'u_none').expect(403);
      expect(response.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'This requires a subscription.',
        reason: 'subscription_required',
        required: { plans: [], features: [] },
        entitlement: { entitled: false, reason: 'no_subscription', status: null, plan: null, plans: [], features: [] },
        subscribeUrl: '/pricing',
      });
    });

    it('lets an entitled account in and hands the entitlement to the handler', async () => {
      await get('/reports/any', 'u_basic').expect(200, { plan: 'basic', reason: 'active', limits: { projects: 3 } });
    });

    it('sends a past_due account to billing, not to pricing', async () => {
      const { body } = await get('/reports/any', 'u_late').expect(403);
      expect(body).toMatchObject({ reason: 'subscription_required', entitlement: { reason: 'past_due', status: 'past_due', plan: 'pro' }, manageBillingUrl: '/billing/portal' });
      expect(body.message).toMatch(/payment failed/);
      expect(body).not.toHaveProperty('subscribeUrl');
    });

    it.each([
      ['/reports/pro', 'u_basic', 403, 'plan_required'],
      ['/reports/pro', 'u_pro', 200, null],
      ['/reports/pro', 'u_ent', 200, null],
      ['/reports/sso', 'u_pro', 403, 'feature_required'],
      ['/reports/sso', 'u_ent', 200, null],
      ['/reports/export', 'u_basic', 403, 'feature_required'],
      ['/reports/export', 'u_pro', 200, null],
      ['/pro-area', 'u_pro', 200, null],
      ['/pro-area', 'u_basic', 403, 'plan_required'],
      ['/pro-area', 'u_ent', 403, 'plan_required'],
      ['/pro-area/sso', 'u_pro', 403, 'feature_required'],
      ['/pro-area/sso', 'u_ent', 403, 'plan_required'],
    ])('GET %s as %s: %i %s', async (path, user, status, reason) => {
      const { body } = await get(path, user).expect(status);
      if (reason) expect(body.reason).toBe(reason);
    });

    it('says which plans or features are missing', async () => {
      expect((await get('/reports/pro', 'u_basic')).body).toMatchObject({ message: 'This requires the pro or enterprise plan.', required: { plans: ['pro', 'enterprise'], features: [] }, entitlement: { plan: 'basic' } });
      expect((await get('/reports/export', 'u_basic')).body).toMatchObject({ message: 'This requires a plan with export.', required: { plans: [], features: ['export'] } });
    });

    it('follows a plan change on the next request', async () => {
      await get('/reports/pro', 'u_basic').expect(403);
      await t.billing.changePlan('u_basic', 'pro');
      await get('/reports/pro', 'u_basic').expect(200);
      await t.billing.changePlan('u_basic', 'basic');
      await get('/reports/pro', 'u_basic').expect(403);
    });
  });

  describe('globally, with a custom resolver, 402, and the entitlement cache (answers without waiting)', () => {
    let t: BillingHost;
    beforeAll(async () => {
      t = await startBillingHost({
        adapter,
        isGlobal: true,
        imports: [GloballyGuardedModule],
        providers: [{ provide: APP_GUARD, useClass: SubscriptionGuard }],
        options: {
          deniedStatus: 402,
          accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-account'],
          subscribeUrl: '/pricing',
          entitlementCache: { ttlSeconds: 30 },
        },
      });
      await t.subscribe('u_basic', { plan: 'basic' }); // its webhooks pass the global guard
      const late = await t.subscribe('u_late', { plan: 'basic' });
      await t.stripeChanges(late.subscription!.id, { status: 'past_due' });
    }, 30_000);
    afterAll(() => t.close());

    it('requires a subscription on every route without a decorator', async () => {
      await t.http().get('/app/dashboard').expect(401);
      const denied = await t.http().get('/app/dashboard').set('x-account', 'u_none').expect(402);
      expect(denied.body).toMatchObject({ statusCode: 402, error: 'Payment Required', reason: 'subscription_required', subscribeUrl: '/pricing' });
      await t.http().get('/app/dashboard').set('x-account', 'u_basic').expect(200, { dashboard: true });
      await t.http().get('/app/dashboard').set('x-account', 'u_late').expect(402);
      // Again, now from the cache.
      await t.http().get('/app/dashboard').set('x-account', 'u_basic').expect(200, { dashboard: true });
      await t.http().get('/app/dashboard').set('x-account', 'u_late').expect(402);
    });

    it('a cached account loses access the moment its subscription ends (the webhook invalidates)', async () => {
      const { subscription } = await t.subscribe('u_leaving', { plan: 'basic' });
      await t.http().get('/app/dashboard').set('x-account', 'u_leaving').expect(200);
      await t.stripeChanges(subscription!.id, { status: 'canceled' });
      await t.http().get('/app/dashboard').set('x-account', 'u_leaving').expect(402);
    });

    it('applies a route’s own requirement under the global guard, and hands the handler its entitlement', async () => {
      await t.subscribe('u_pro', { plan: 'pro' });
      const denied = await t.http().get('/app/pro-report').set('x-account', 'u_basic').expect(402);
      expect(denied.body).toMatchObject({ reason: 'plan_required', required: { plans: ['pro'] } });
      await t.http().get('/app/pro-report').set('x-account', 'u_pro').expect(200, { plan: 'pro', plans: ['pro'] });
      await t.http().get('/app/pro-report').set('x-account', 'u_none').expect(402);
    });

    it('lets @SkipSubscriptionCheck() routes through, so a past_due account reaches the billing portal', async () => {
      await t.http().get('/app/health').expect(200, { healthy: true });
      const { body } = await t.http().get('/billing/portal').set('x-account', 'u_late').expect(200);
      expect(body.url).toMatch(/\/billing_portal\//);
    });

    it('never guards the webhook: an unsigned delivery is refused by signature checking, not by the guard', async () => {
      const response = await t.http().post(t.webhookUrl).set('content-type', 'application/json').send('{"id":"evt_1"}');
      expect(response.status).toBe(400);
    });
  });
});

describe('decorators naming what no plan has stop the app at start-up', () => {
  afterEach(() => closeOpenedDataSources());

  @Controller('typo')
  class TypoController {
    @RequiresPlan('platinum')
    @Get()
    platinum() {
      return {};
    }
  }

  @Controller('typo-feature')
  class FeatureTypoController {
    @RequiresFeature('teleport')
    @Get()
    teleport() {
      return {};
    }
  }

  const boot = async (controller: new () => unknown) => {
    @Module({ controllers: [controller] })
    class Routes {}
    await bootAndClose(
      LitestripeModule.forRoot({
        secretKey: 'sk_test_litestripe',
        webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
        webhookSecret: WEBHOOK_SECRET,
        isGlobal: true,
        plans: { pro: { prices: { test: 'price_pro' }, features: ['export'] } },
      }),
      { imports: [Routes] },
    );
  };

  it('an unknown plan in @RequiresPlan()', async () => {
    const error = await boot(TypoController).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/has no plan "platinum", which @RequiresPlan\(\) on TypoController\.platinum asks for \(plans: pro\)/);
  });

  it('an unknown feature in @RequiresFeature()', async () => {
    const error = await boot(FeatureTypoController).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toMatch(/gives no plan the feature "teleport", which @RequiresFeature\(\) on FeatureTypoController\.teleport asks for/);
  });

  it('duplicate price ids, with forRootAsync too', async () => {
    const error = await compileHost(
      LitestripeModule.forRootAsync({
        useFactory: async () => ({
          secretKey: 'sk_test_litestripe',
          webhookUuid: '5f0c8a36-7d1e-4b8e-9a43-0d5e2c1f6b7a',
          webhookSecret: WEBHOOK_SECRET,
          plans: { basic: { prices: { test: 'price_1' } }, pro: { prices: { test: 'price_1' } } },
        }),
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LitestripeConfigError);
    expect((error as Error).message).toContain('Litestripe option "plans.pro" repeats the price "price_1" of plan "basic"');
  });
});
