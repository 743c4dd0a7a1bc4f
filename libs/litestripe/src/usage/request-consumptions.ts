import type { UsageConsumption } from './usage.service.js';
import type { UsageLimitRequirement } from '../access/usage-limit-requirement.js';

/** A route's units taken for one request, with the decorator that took them. */
export interface RequestConsumption {
  requirement: UsageLimitRequirement;
  consumption: UsageConsumption;
}

/** Beside the request, not on it (as the guard keeps entitlements): for the refund interceptor, and so a second guard run does not take again. */
const taken = new WeakMap<object, RequestConsumption[]>();

export function rememberConsumptions(request: object, consumptions: RequestConsumption[]): void {
  taken.set(request, consumptions);
}

export function hasConsumptions(request: object): boolean {
  return taken.has(request);
}

export function consumptionsOf(request: object): RequestConsumption[] | undefined {
  return taken.get(request);
}
