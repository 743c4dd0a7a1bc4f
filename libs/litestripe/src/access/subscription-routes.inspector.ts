import { Inject, Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { SKIP_SUBSCRIPTION_CHECK, SUBSCRIPTION_REQUIREMENTS, SubscriptionRequirement } from './subscription-requirement.js';
import { SubscriptionService } from './subscription.service.js';
import { LITESTRIPE_USAGE_OPTIONS, ResolvedUsageOptions } from '../config/usage-options.js';
import { USAGE_LIMITS, UsageLimitRequirement } from './usage-limit-requirement.js';

/**
 * Looks at every controller and provider (GraphQL resolvers, WebSocket gateways) of the app once,
 * at start-up:
 * - checks that each `@RequiresPlan()` / `@RequiresFeature()` names a configured plan or feature,
 *   and each `@UsageLimit()` a metric some plan (or the free tier) sets a limit for, so a typo
 *   stops the app instead of locking every account out of a route;
 * - refuses a requirement on a microservice or WebSocket handler, where `SubscriptionGuard` finds
 *   no request and would deny every call;
 * - notes this module's own controllers (the webhook), which `SubscriptionGuard` always lets
 *   through, even when it is registered globally.
 */
@Injectable()
export class SubscriptionRoutesInspector implements OnModuleInit {
  private readonly exempt = new Set<Function>();

  constructor(
    private readonly modules: ModulesContainer,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @Inject(LITESTRIPE_USAGE_OPTIONS) private readonly usage: ResolvedUsageOptions,
  ) {}

  isExempt(controller: Type<unknown> | Function): boolean {
    return this.exempt.has(controller);
  }

  onModuleInit(): void {
    const seen = new Set<Function>();
    for (const module of this.modules.values()) {
      const ownsTheModule = module.providers.has(SubscriptionService);
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as Function | null;
        if (!controller) continue;
        if (ownsTheModule) this.exempt.add(controller);
        if (!seen.has(controller)) this.inspect(controller, seen);
      }
      for (const wrapper of module.providers.values()) {
        const provider = wrapper.metatype as Function | null;
        // A factory provider's metatype is its factory, not a class with handlers.
        if (!provider || wrapper.isFactory || seen.has(provider)) continue;
        this.inspect(provider, seen);
      }
    }
  }

  private inspect(target: Function, seen: Set<Function>): void {
    seen.add(target);
    const onClass: SubscriptionRequirement[] | undefined = Reflect.getMetadata(SUBSCRIPTION_REQUIREMENTS, target);
    const skipsClass = Reflect.getMetadata(SKIP_SUBSCRIPTION_CHECK, target) === true;
    this.check(target.name, onClass);
    const limitsOnClass: UsageLimitRequirement[] | undefined = Reflect.getMetadata(USAGE_LIMITS, target);
    this.checkLimits(target.name, limitsOnClass);
    for (const method of methodNames(target.prototype)) {
      const handler = target.prototype[method];
      const where = `${target.name}.${method}`;
      const onHandler: SubscriptionRequirement[] | undefined = Reflect.getMetadata(SUBSCRIPTION_REQUIREMENTS, handler);
      this.check(where, onHandler);
      const limitsOnHandler: UsageLimitRequirement[] | undefined = Reflect.getMetadata(USAGE_LIMITS, handler);
      this.checkLimits(where, limitsOnHandler);
      const kind = uncheckableKind(target, handler);
      if (!kind) continue;
      // A handler's own @SkipSubscriptionCheck() overrides its class's requirement, as in the guard.
      const skipped = Reflect.getMetadata(SKIP_SUBSCRIPTION_CHECK, handler) ?? skipsClass;
      const requirement = onHandler?.[0] ?? limitsOnHandler?.[0] ?? (skipped ? undefined : (onClass?.[0] ?? limitsOnClass?.[0]));
      if (requirement) {
        throw new LitestripeConfigError(
          decoratorOf(requirement),
          `sits on ${where}${onHandler?.length || limitsOnHandler?.length ? '' : ` (through its class)`}, a ${kind} handler, where SubscriptionGuard finds no request to read the account from and would deny every call`,
          'Remove it and call SubscriptionService.isEntitled() in the handler; on a class that also has HTTP routes, put @SkipSubscriptionCheck() on this handler.',
        );
      }
    }
  }

  private check(where: string, requirements: SubscriptionRequirement[] | undefined): void {
    const { catalog } = this.options;
    for (const requirement of requirements ?? []) {
      const plan = requirement.plans?.find((name) => !catalog.has(name));
      if (plan) {
        const known = catalog.plans.map((p) => p.id).join(', ') || 'none configured';
        throw new LitestripeConfigError('plans', `has no plan "${plan}", which @RequiresPlan() on ${where} asks for (plans: ${known})`, 'Add the plan to the plans option or fix the decorator.');
      }
      const feature = requirement.features?.find((name) => !catalog.features.has(name));
      if (feature) {
        throw new LitestripeConfigError('plans', `gives no plan the feature "${feature}", which @RequiresFeature() on ${where} asks for`, "Add it to a plan's features or fix the decorator.");
      }
    }
  }

  private checkLimits(where: string, limits: UsageLimitRequirement[] | undefined): void {
    const { catalog } = this.options;
    for (const { metric, limit } of limits ?? []) {
      if (limit !== undefined || metric in this.usage.freeLimits || catalog.plans.some((plan) => metric in plan.limits) || catalog.creditMetrics.has(metric)) continue;
      throw new LitestripeConfigError(
        'plans',
        `sets no limit for "${metric}", which @UsageLimit() on ${where} counts, so no account could use the route`,
        `Add ${metric} to the limits of the plans that grant it (Infinity for unlimited), to usage.freeLimits or to a credit pack's credits, give the decorator a limit, or fix the name.`,
      );
    }
  }
}

function methodNames(prototype: object | null): string[] {
  const names = new Set<string>();
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

// The keys @nestjs/microservices and @nestjs/websockets put their decorators under, spelled out
// so that the library needs neither package.
const PATTERN_METADATA = 'microservices:pattern'; // @MessagePattern(), @EventPattern()
const GATEWAY_METADATA = 'websockets:is_gateway'; // @WebSocketGateway()
const MESSAGE_METADATA = 'message'; // @SubscribeMessage()

/** What kind of handler `SubscriptionGuard` cannot check this method is, if it is one. */
function uncheckableKind(target: Function, handler: Function): string | undefined {
  if (Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined) return 'microservice (@MessagePattern/@EventPattern)';
  if (Reflect.getMetadata(GATEWAY_METADATA, target) && Reflect.getMetadata(MESSAGE_METADATA, handler) !== undefined) return 'WebSocket (@SubscribeMessage)';
  return undefined;
}

function decoratorOf(requirement: SubscriptionRequirement | UsageLimitRequirement): string {
  if ('metric' in requirement) return '@UsageLimit()';
  return requirement.plans ? '@RequiresPlan()' : requirement.features ? '@RequiresFeature()' : '@RequiresSubscription()';
}
