import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Entitlement } from './account-entitlement';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { guardedRequestOf } from './guarded-request';
import { REQUEST_ENTITLEMENT, SKIP_SUBSCRIPTION_CHECK, SUBSCRIPTION_REQUIREMENTS, SubscriptionRequirement } from './subscription-requirement';
import { SubscriptionGuardContextError } from './subscription-guard-context.error';
import { SubscriptionRequiredException } from './subscription-required.exception';
import { SubscriptionRoutesInspector } from './subscription-routes.inspector';
import { missingFrom, SubscriptionService } from './subscription.service';

/**
 * Lets an HTTP request or a GraphQL query through when its account is entitled, and the route's
 * `@RequiresPlan()` / `@RequiresFeature()` (on the controller or resolver and the handler: all must
 * hold) are met. The decorators apply it themselves; register it globally (`{ provide: APP_GUARD,
 * useClass: SubscriptionGuard }`) to require a subscription everywhere but `@SkipSubscriptionCheck()`
 * handlers and this module's webhook. No account: 401. Not entitled: 403, or 402 with `deniedStatus`
 * (GraphQL answers them as errors). RPC and WebSocket handlers carry no request to find the account
 * in: they are denied with a `SubscriptionGuardContextError` unless `@SkipSubscriptionCheck()`.
 */
@Injectable()
export class SubscriptionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly subscriptions: SubscriptionService,
    private readonly routes: SubscriptionRoutesInspector,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  /** Answers without waiting when the entitlement cache holds the account (no promise on the hot path). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    const controller = context.getClass();
    if (this.reflector.getAllAndOverride<boolean>(SKIP_SUBSCRIPTION_CHECK, [handler, controller])) return true;
    if (this.routes.isExempt(controller)) return true;

    const request = guardedRequestOf(context);
    // Without a request there is no account to check: deny, never let the call through unchecked.
    if (!request) throw new SubscriptionGuardContextError(context.getType(), `${controller.name}.${handler.name}`);
    const decide = (entitlement: Entitlement) => this.check((request[REQUEST_ENTITLEMENT] = entitlement), handler, controller);
    if (request[REQUEST_ENTITLEMENT]) return decide(request[REQUEST_ENTITLEMENT]);
    const resolved = this.options.accountResolver(request);
    if (isPromise(resolved)) return resolved.then((value) => this.entitlementOf(value)).then(decide);
    const accountRef = accountRefOf(resolved);
    const cached = this.subscriptions.peekEntitlement(accountRef);
    return cached ? decide(cached) : this.subscriptions.getEntitlement(accountRef).then(decide);
  }

  private check(entitlement: Entitlement, handler: Function, controller: Function): true {
    const requirements: SubscriptionRequirement[] = [
      ...(this.reflector.get<SubscriptionRequirement[]>(SUBSCRIPTION_REQUIREMENTS, controller) ?? []),
      ...(this.reflector.get<SubscriptionRequirement[]>(SUBSCRIPTION_REQUIREMENTS, handler) ?? []),
    ];
    if (requirements.length === 0) requirements.push({});
    for (const requirement of requirements) {
      const missing = missingFrom(entitlement, { plan: requirement.plans, feature: requirement.features });
      if (missing) throw new SubscriptionRequiredException(this.options.deniedStatus, entitlement, missing, this.options);
    }
    return true;
  }

  private entitlementOf(resolved: unknown): Promise<Entitlement> {
    return this.subscriptions.getEntitlement(accountRefOf(resolved));
  }
}

/** The resolver's answer as an account reference; none is a 401. */
function accountRefOf(resolved: unknown): string {
  const accountRef = typeof resolved === 'number' || typeof resolved === 'bigint' ? String(resolved) : resolved;
  if (typeof accountRef !== 'string' || accountRef === '') {
    throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'Sign in to use this.', reason: 'unauthenticated' });
  }
  return accountRef;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function';
}
