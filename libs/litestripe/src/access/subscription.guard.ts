import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Entitlement } from './account-entitlement.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { decidedForCall, GuardedRequest, guardedRequestOf, rememberEntitlement, rememberForCall, takesCurrentEntitlement } from './guarded-request.js';
import { SKIP_SUBSCRIPTION_CHECK, SUBSCRIPTION_REQUIREMENTS, SubscriptionRequirement } from './subscription-requirement.js';
import { SubscriptionGuardContextError } from '../errors/subscription-guard-context.error.js';
import { SubscriptionRequiredException } from '../errors/subscription-required.exception.js';
import { SubscriptionRoutesInspector } from './subscription-routes.inspector.js';
import { EntitlementRequirement, missingFrom, SubscriptionService } from './subscription.service.js';
import { GuestRequests } from './guest-requests.js';
import { GuestTokenRejectedException } from '../errors/guest-token-rejected.exception.js';
import { GuestTokenAttemptsException } from '../errors/guest-token-attempts.exception.js';
import { ROUTE_USAGE_LIMITS, RouteUsageLimits, USAGE_LIMITS, UsageLimitRequirement } from './usage-limit-requirement.js';
import { LitestripeMetrics } from '../metrics/litestripe-metrics.js';

/** A guarded route as the guard reads it once: its requirements, its usage limits, and whether its handler takes `@CurrentEntitlement()`. */
interface GuardedRoute {
  requirements: EntitlementRequirement[];
  usage: UsageLimitRequirement[] | null;
  takesEntitlement: boolean;
}

/**
 * Lets an HTTP request or a GraphQL query through when its account is entitled, and the route's
 * `@RequiresPlan()` / `@RequiresFeature()` (on the controller or resolver and the handler: all must
 * hold) are met. The decorators apply it themselves; register it globally (`{ provide: APP_GUARD,
 * useClass: SubscriptionGuard }`) to require a subscription everywhere but `@SkipSubscriptionCheck()`
 * handlers and this module's webhook. A request without an account may be a guest's, by the access
 * token it carries where `guests.tokenFrom` says (an unusable token: 401; too many from one client:
 * 429). No account and no guest: 401. Not entitled: 403, or 402 with `deniedStatus`
 * (GraphQL answers them as errors). RPC and WebSocket handlers carry no request to find the account
 * in: they are denied with a `SubscriptionGuardContextError` unless `@SkipSubscriptionCheck()`.
 */
@Injectable()
export class SubscriptionGuard implements CanActivate {
  private readonly routes = new WeakMap<Function, WeakMap<Function, GuardedRoute | null>>();

  /** @internal Nest constructs it from the module's providers: its dependencies are not part of the API. */
  constructor(
    private readonly reflector: Reflector,
    private readonly subscriptions: SubscriptionService,
    private readonly inspector: SubscriptionRoutesInspector,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @Inject(ROUTE_USAGE_LIMITS) private readonly usageLimits: RouteUsageLimits,
    private readonly guests: GuestRequests,
    private readonly metrics: LitestripeMetrics,
  ) {}

  /** Answers without waiting when the entitlement cache holds the account (no promise on the hot path). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    const controller = context.getClass();
    const route = this.routeOf(handler, controller);
    if (route === null) return true;

    const request = guardedRequestOf(context);
    // Without a request there is no account to check: deny, never let the call through unchecked.
    if (!request) throw new SubscriptionGuardContextError(context.getType(), `${controller.name}.${handler.name}`);
    const args = context.getArgs();
    const decided = decidedForCall(args);
    if (decided) return this.admit(context, args, request, route, decided);
    const resolved = this.options.accountResolver(request);
    if (isPromise(resolved)) return resolved.then((value) => this.entitlementOf(context, request, value)).then((entitlement) => this.admit(context, args, request, route, entitlement));
    const accountRef = presentReference(resolved);
    if (accountRef === null) return this.guestEntitlement(context, request).then((entitlement) => this.admit(context, args, request, route, entitlement));
    const cached = this.subscriptions.peekEntitlement(accountRef);
    if (cached) return this.admit(context, args, request, route, cached);
    return this.subscriptions.getEntitlement(accountRef).then((entitlement) => this.admit(context, args, request, route, entitlement));
  }

  /**
   * True when the entitlement meets the route's requirements, else the 403/402; remembers it for the
   * call. A route with `@UsageLimit()` then takes its units (a promise), or answers 429.
   */
  private admit(context: ExecutionContext, args: unknown[], request: GuardedRequest, route: GuardedRoute, entitlement: Entitlement): true | Promise<true> {
    rememberForCall(args, entitlement);
    if (route.takesEntitlement) rememberEntitlement(request, entitlement);
    this.check(entitlement, route.requirements);
    if (!route.usage) return true;
    const response = context.getType() === 'http' ? context.getArgByIndex(1) : undefined;
    return this.usageLimits.enforce(request, response, route.usage, entitlement);
  }

  /** What the route requires (controller's and handler's, all must hold); null when it is exempt. Read once per route. */
  private routeOf(handler: Function, controller: Function): GuardedRoute | null {
    let byController = this.routes.get(handler);
    if (!byController) this.routes.set(handler, (byController = new WeakMap()));
    let route = byController.get(controller);
    if (route === undefined) {
      const skipped = this.reflector.getAllAndOverride<boolean>(SKIP_SUBSCRIPTION_CHECK, [handler, controller]) || this.inspector.isExempt(controller);
      const declared = [...(this.reflector.get<SubscriptionRequirement[]>(SUBSCRIPTION_REQUIREMENTS, controller) ?? []), ...(this.reflector.get<SubscriptionRequirement[]>(SUBSCRIPTION_REQUIREMENTS, handler) ?? [])];
      const usage = [...(this.reflector.get<UsageLimitRequirement[]>(USAGE_LIMITS, controller) ?? []), ...(this.reflector.get<UsageLimitRequirement[]>(USAGE_LIMITS, handler) ?? [])];
      route = skipped
        ? null
        : {
            // A route with only @UsageLimit() needs no subscription: the metric's allowance decides (a free tier's too).
            requirements: declared.length ? declared.map(({ plans, features }) => ({ plan: plans, feature: features })) : usage.length ? [] : [{}],
            usage: usage.length ? usage : null,
            takesEntitlement: takesCurrentEntitlement(controller, handler),
          };
      byController.set(controller, route);
    }
    return route;
  }

  private check(entitlement: Entitlement, requirements: EntitlementRequirement[]): true {
    for (const requirement of requirements) {
      const missing = missingFrom(entitlement, requirement);
      if (missing) {
        this.metrics.guardDecision(entitlement, missing);
        throw new SubscriptionRequiredException(this.options.deniedStatus, entitlement, missing, this.options);
      }
    }
    this.metrics.guardDecision(entitlement, null);
    return true;
  }

  private entitlementOf(context: ExecutionContext, request: GuardedRequest, resolved: unknown): Promise<Entitlement> {
    const accountRef = presentReference(resolved);
    return accountRef === null ? this.guestEntitlement(context, request) : this.subscriptions.getEntitlement(accountRef);
  }

  /** No account: the guest of the request's token (`guests.tokenFrom`), or a 401. */
  private async guestEntitlement(context: ExecutionContext, request: GuardedRequest): Promise<Entitlement> {
    const token = this.guests.tokenOf(request);
    if (token === undefined) {
      if (this.guests.enabled) throw new GuestTokenRejectedException('guest_token_missing');
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: 'Sign in to use this.', reason: 'unauthenticated' });
    }
    try {
      const guest = await this.guests.guestOf(request, token);
      return this.subscriptions.peekEntitlement(guest.accountRef) ?? (await this.subscriptions.getEntitlement(guest.accountRef));
    } catch (error) {
      if (error instanceof GuestTokenAttemptsException && context.getType() === 'http') context.getArgByIndex<HeaderTarget>(1)?.header?.('Retry-After', error.retryAfterSeconds);
      throw error;
    }
  }
}

/** The part of an Express response or a Fastify reply a header is set on. */
interface HeaderTarget {
  header?(name: string, value: string | number): unknown;
}

/** The resolver's answer as an account reference; null when it names none (an anonymous request). */
function presentReference(resolved: unknown): string | null {
  const accountRef = typeof resolved === 'number' || typeof resolved === 'bigint' ? String(resolved) : resolved;
  return typeof accountRef === 'string' && accountRef !== '' ? accountRef : null;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === 'function';
}
