import { Inject, Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { LitestripeConfigError } from '../config/litestripe-config.error';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from './entitlement-options';
import { SUBSCRIPTION_REQUIREMENTS, SubscriptionRequirement } from './subscription-requirement';
import { SubscriptionService } from './subscription.service';

/**
 * Looks at every controller of the app once, at start-up:
 * - checks that each `@RequiresPlan()` / `@RequiresFeature()` names a configured plan or feature,
 *   so a typo stops the app instead of locking every account out of a route;
 * - notes this module's own controllers (the webhook), which `SubscriptionGuard` always lets
 *   through, even when it is registered globally.
 */
@Injectable()
export class SubscriptionRoutesInspector implements OnModuleInit {
  private readonly exempt = new Set<Function>();

  constructor(
    private readonly modules: ModulesContainer,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
  ) {}

  isExempt(controller: Type<unknown> | Function): boolean {
    return this.exempt.has(controller);
  }

  onModuleInit(): void {
    for (const module of this.modules.values()) {
      const ownsTheModule = module.providers.has(SubscriptionService);
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as Function | null;
        if (!controller) continue;
        if (ownsTheModule) this.exempt.add(controller);
        this.check(controller.name, Reflect.getMetadata(SUBSCRIPTION_REQUIREMENTS, controller));
        for (const method of methodNames(controller.prototype)) {
          this.check(`${controller.name}.${method}`, Reflect.getMetadata(SUBSCRIPTION_REQUIREMENTS, controller.prototype[method]));
        }
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
