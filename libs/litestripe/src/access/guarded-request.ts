import type { ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { AccountRequest } from '../config/entitlement-options.interface.js';
import type { Entitlement } from './account-entitlement.js';

/** The request of a guarded call (HTTP, or the one behind a GraphQL resolver). */
export type GuardedRequest = AccountRequest & object;

/**
 * The entitlement the guard decided a request with, for `@CurrentEntitlement()`. Kept only for
 * handlers that take it, and beside the request rather than on it: touching the framework's request
 * object on every call cost the guarded route about a tenth of its throughput (bench/guard-overhead).
 */
const decidedEntitlements = new WeakMap<object, Entitlement>();

export function rememberEntitlement(request: GuardedRequest, entitlement: Entitlement): void {
  decidedEntitlements.set(request, entitlement);
}

/** `@CurrentEntitlement()`'s value: what the guard decided the call's request with. */
export function currentEntitlementParam(_: unknown, context: ExecutionContext): Entitlement | undefined {
  const request = guardedRequestOf(context);
  return request ? decidedEntitlements.get(request) : undefined;
}

/** Whether a handler takes `@CurrentEntitlement()`: only then does the guard keep the entitlement with the request. */
export function takesCurrentEntitlement(controller: Function, handler: Function): boolean {
  const params: Record<string, { factory?: unknown }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {};
  return Object.values(params).some((param) => param?.factory === currentEntitlementParam);
}

/**
 * The last call decided, by its arguments array: a global guard and a route's own guard run one
 * after the other on the same arguments, and the second reuses the first's answer instead of
 * deciding again (a second query without the cache). One slot: another call in between only costs
 * the reuse.
 */
let lastArgs: unknown[] | undefined;
let lastEntitlement: Entitlement | undefined;

export function decidedForCall(args: unknown[]): Entitlement | undefined {
  return args === lastArgs ? lastEntitlement : undefined;
}

export function rememberForCall(args: unknown[], entitlement: Entitlement): void {
  lastArgs = args;
  lastEntitlement = entitlement;
}

/**
 * The HTTP request behind an execution context: the request itself, or the one a GraphQL resolver
 * runs for (third argument, the GraphQL context: `req` under Apollo on Express and Fastify,
 * `reply.request` under Mercurius). Read from the arguments so that no GraphQL package is needed.
 * Undefined for RPC and WebSocket handlers, and for a GraphQL context without a request.
 */
export function guardedRequestOf(context: ExecutionContext): GuardedRequest | undefined {
  const type = context.getType<string>();
  if (type === 'http') return context.getArgByIndex<GuardedRequest>(0); // the request; switchToHttp() would allocate a host per call
  if (type !== 'graphql') return undefined;
  const graphqlContext = context.getArgByIndex<{ req?: GuardedRequest; reply?: { request?: GuardedRequest } } | undefined>(2);
  return graphqlContext?.req ?? graphqlContext?.reply?.request ?? undefined;
}
