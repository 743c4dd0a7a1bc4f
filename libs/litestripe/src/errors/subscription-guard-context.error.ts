/**
 * `SubscriptionGuard` reached a handler it cannot check: an RPC or WebSocket handler (no HTTP
 * request, so no account), or a GraphQL resolver whose context holds no request. It denies
 * rather than lets the call through unchecked; the message names the handler and the way out.
 */
export class SubscriptionGuardContextError extends Error {
  constructor(
    readonly contextType: string,
    readonly handler: string,
  ) {
    super(
      contextType === 'graphql'
        ? `SubscriptionGuard found no request in the GraphQL context of ${handler} (it reads context.req, or context.reply.request under Mercurius), so it cannot tell whose subscription to check. ` +
            'Keep the request in the context (return { req } from the GraphQL module\'s context function), or put @SkipSubscriptionCheck() on the resolver and call SubscriptionService.isEntitled() in it.'
        : `SubscriptionGuard cannot check the ${contextType} handler ${handler}: only HTTP requests and GraphQL resolvers carry the request it reads the account from, so it denies. ` +
            'Call SubscriptionService.isEntitled() in the handler, and put @SkipSubscriptionCheck() on it (or its class) to let it past a global SubscriptionGuard.',
    );
    this.name = 'SubscriptionGuardContextError';
  }
}
