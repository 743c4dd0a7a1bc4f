import type { ExecutionContext } from '@nestjs/common';
import type { AccountRequest } from '../interfaces/entitlement-options.interface';
import type { Entitlement } from './account-entitlement';
import { REQUEST_ENTITLEMENT } from './subscription-requirement';

/** A request as `SubscriptionGuard` leaves it: the entitlement it decided with rides along for `@CurrentEntitlement()`. */
export type GuardedRequest = AccountRequest & { [REQUEST_ENTITLEMENT]?: Entitlement };

/**
 * The HTTP request behind an execution context: the request itself, or the one a GraphQL resolver
 * runs for (third argument, the GraphQL context: `req` under Apollo on Express and Fastify,
 * `reply.request` under Mercurius). Read from the arguments so that no GraphQL package is needed.
 * Undefined for RPC and WebSocket handlers, and for a GraphQL context without a request.
 */
export function guardedRequestOf(context: ExecutionContext): GuardedRequest | undefined {
  const type = context.getType<string>();
  if (type === 'http') return context.switchToHttp().getRequest<GuardedRequest>();
  if (type !== 'graphql') return undefined;
  const graphqlContext = context.getArgByIndex<{ req?: GuardedRequest; reply?: { request?: GuardedRequest } } | undefined>(2);
  return graphqlContext?.req ?? graphqlContext?.reply?.request ?? undefined;
}
