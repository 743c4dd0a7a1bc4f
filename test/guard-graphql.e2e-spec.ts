import { CanActivate, ExecutionContext, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GqlContextType, GqlExecutionContext, GraphQLModule, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { CurrentEntitlement, RequiresFeature, RequiresPlan, RequiresSubscription, SkipSubscriptionCheck, SubscriptionGuard } from '@litestripe/nestjs';
import type { Entitlement } from '@litestripe/nestjs';
import { BillingHost, startBillingHost } from './support/billing-host';
import { Adapter, Registration } from './support/test-app';

/** The host's authentication, GraphQL-aware: `x-user` becomes `request.user.id` on the request behind the query. */
@Injectable()
class GraphqlHeaderAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.getType<GqlContextType>() === 'graphql' ? GqlExecutionContext.create(context).getContext().req : context.switchToHttp().getRequest();
    const id = request.headers['x-user'];
    if (id) request.user = { id };
    return true;
  }
}

@ObjectType()
class EntitlementView {
  @Field(() => String, { nullable: true }) plan: string | null;
  @Field(() => String) reason: string;
  @Field(() => Int, { nullable: true }) projects: number | null;
}

@Resolver()
class ReportsResolver {
  @Query(() => String)
  open() {
    return 'open';
  }

  @RequiresSubscription()
  @Query(() => EntitlementView, { nullable: true })
  dashboard(@CurrentEntitlement() entitlement: Entitlement): EntitlementView {
    return { plan: entitlement.plan, reason: entitlement.reason, projects: entitlement.limits.projects ?? null };
  }

  @RequiresPlan(['pro', 'enterprise'])
  @Query(() => String, { nullable: true })
  proReport() {
    return 'pro report';
  }

  @RequiresFeature('sso')
  @Query(() => String, { nullable: true })
  sso() {
    return 'sso';
  }
}

/** A requirement on the resolver class covers every query of it. */
@RequiresFeature('export')
@Resolver()
class ExportResolver {
  @Query(() => String, { nullable: true })
  exportAll() {
    return 'exported';
  }
}

@Module({ providers: [ReportsResolver, ExportResolver] })
class RouteGuardedResolvers {}

@Resolver()
class AppResolver {
  @Query(() => String)
  home() {
    return 'home';
  }

  @SkipSubscriptionCheck()
  @Query(() => String)
  health() {
    return 'healthy';
  }
}

@Module({ providers: [AppResolver] })
class GloballyGuardedResolvers {}

const graphql = () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, graphiql: false });

interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

describe.each<[Adapter, Registration]>([
  ['express', 'forRoot'],
  ['fastify', 'forRootAsync'],
])('SubscriptionGuard on GraphQL resolvers (Apollo on %s, %s)', (adapter, registration) => {
  const query = async (t: BillingHost, source: string, headers: Record<string, string> = {}): Promise<GraphqlResponse> => {
    const response = await t.http().post('/graphql').set(headers).send({ query: source });
    // Apollo answers execution errors with 200 and the { data, errors } shape.
    expect(response.status).toBe(200);
    return response.body;
  };

  describe('decorators on resolvers, with the default resolver (request.user.id)', () => {
    let t: BillingHost;
    beforeAll(async () => {
      t = await startBillingHost({
        adapter,
        registration,
        isGlobal: true,
        imports: [graphql(), RouteGuardedResolvers],
        providers: [{ provide: APP_GUARD, useClass: GraphqlHeaderAuthGuard }],
        options: { subscribeUrl: '/pricing' },
      });
      await t.subscribe('u_basic', { plan: 'basic' });
      await t.subscribe('u_pro', { plan: 'pro' });
      await t.subscribe('u_ent', { plan: 'enterprise' });
    }, 30_000);
    afterAll(() => t.close());

    const as = (user: string) => ({ 'x-user': user });

    it('leaves undecorated queries alone', async () => {
      expect(await query(t, '{ open }')).toEqual({ data: { open: 'open' } });
    });

    it('answers an anonymous query with an UNAUTHENTICATED error carrying the 401 body', async () => {
      const body = await query(t, '{ dashboard { plan } }');
      expect(body.data).toEqual({ dashboard: null });
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Sign in to use this.',
          path: ['dashboard'],
          extensions: expect.objectContaining({
            code: 'UNAUTHENTICATED',
            originalError: { statusCode: 401, error: 'Unauthorized', message: 'Sign in to use this.', reason: 'unauthenticated' },
          }),
        }),
      ]);
    });

    it('answers an account without a subscription with a FORBIDDEN error saying what is missing', async () => {
      const body = await query(t, '{ dashboard { plan } }', as('u_none'));
      expect(body.data).toEqual({ dashboard: null });
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]).toMatchObject({ message: 'This requires a subscription.', path: ['dashboard'], extensions: { code: 'FORBIDDEN' } });
      expect(body.errors![0].extensions!.originalError).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'This requires a subscription.',
        reason: 'subscription_required',
        required: { plans: [], features: [] },
        entitlement: { entitled: false, reason: 'no_subscription', status: null, plan: null, plans: [], features: [] },
        subscribeUrl: '/pricing',
      });
    });

    it('lets an entitled account in and hands the entitlement to the resolver (@CurrentEntitlement())', async () => {
      expect(await query(t, '{ dashboard { plan reason projects } }', as('u_basic'))).toEqual({ data: { dashboard: { plan: 'basic', reason: 'active', projects: 3 } } });
      expect(await query(t, '{ dashboard { plan projects } }', as('u_pro'))).toEqual({ data: { dashboard: { plan: 'pro', projects: 50 } } });
    });

    it.each([
      ['proReport', 'u_basic', 'plan_required', 'This requires the pro or enterprise plan.'],
      ['proReport', 'u_pro', 'allowed', 'pro report'],
      ['proReport', 'u_ent', 'allowed', 'pro report'],
      ['sso', 'u_pro', 'feature_required', 'This requires a plan with sso.'],
      ['sso', 'u_ent', 'allowed', 'sso'],
      ['exportAll', 'u_basic', 'feature_required', 'This requires a plan with export.'],
      ['exportAll', 'u_pro', 'allowed', 'exported'],
    ])('{ %s } as %s: %s', async (field, user, reason, answer) => {
      const body = await query(t, `{ ${field} }`, as(user));
      if (reason !== 'allowed') {
        expect(body.data).toEqual({ [field]: null });
        expect(body.errors).toEqual([
          expect.objectContaining({ message: answer, path: [field], extensions: expect.objectContaining({ code: 'FORBIDDEN', originalError: expect.objectContaining({ statusCode: 403, reason }) }) }),
        ]);
      } else {
        expect(body).toEqual({ data: { [field]: answer } });
      }
    });

    it('decides each field of one query on its own: the entitled ones answer, the others are errors', async () => {
      const body = await query(t, '{ open dashboard { plan } proReport sso }', as('u_pro'));
      expect(body.data).toEqual({ open: 'open', dashboard: { plan: 'pro' }, proReport: 'pro report', sso: null });
      expect(body.errors).toEqual([expect.objectContaining({ path: ['sso'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    });
  });

  describe('globally (APP_GUARD), with a custom resolver and 402', () => {
    let t: BillingHost;
    beforeAll(async () => {
      t = await startBillingHost({
        adapter,
        registration,
        isGlobal: true,
        imports: [graphql(), GloballyGuardedResolvers],
        providers: [{ provide: APP_GUARD, useClass: SubscriptionGuard }],
        options: {
          deniedStatus: 402,
          accountResolver: (request) => (request.headers as Record<string, string | undefined>)['x-account'],
        },
      });
      await t.subscribe('u_basic', { plan: 'basic' }); // its webhooks pass the global guard
    }, 30_000);
    afterAll(() => t.close());

    it('requires a subscription on every query without a decorator', async () => {
      const anonymous = await query(t, '{ home }');
      expect(anonymous.data).toBeNull();
      expect(anonymous.errors).toEqual([expect.objectContaining({ message: 'Sign in to use this.', extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })]);

      // Apollo has no code of its own for 402: it keeps the status beside INTERNAL_SERVER_ERROR.
      const unsubscribed = await query(t, '{ home }', { 'x-account': 'u_none' });
      expect(unsubscribed.data).toBeNull();
      expect(unsubscribed.errors).toEqual([
        expect.objectContaining({
          message: 'This requires a subscription.',
          extensions: expect.objectContaining({
            code: 'INTERNAL_SERVER_ERROR',
            status: 402,
            originalError: expect.objectContaining({ statusCode: 402, error: 'Payment Required', reason: 'subscription_required' }),
          }),
        }),
      ]);

      expect(await query(t, '{ home }', { 'x-account': 'u_basic' })).toEqual({ data: { home: 'home' } });
    });

    it('lets @SkipSubscriptionCheck() queries through', async () => {
      expect(await query(t, '{ health }')).toEqual({ data: { health: 'healthy' } });
    });
  });
});
