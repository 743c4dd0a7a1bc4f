import { ExecutionContextHost } from '@nestjs/core/internal';
import { guardedRequestOf } from './guarded-request.js';

/** A context as Nest builds it for each kind of handler: its arguments, and its type. */
function contextOf(type: string, args: unknown[]) {
  const context = new ExecutionContextHost(args);
  context.setType(type);
  return context;
}

describe('guardedRequestOf', () => {
  const request = { headers: {}, user: { id: 'u_1' } };

  it('finds the request of an HTTP handler', () => {
    expect(guardedRequestOf(contextOf('http', [request, {}, () => undefined]))).toBe(request);
  });

  it.each([
    ['Apollo on Express or Fastify', { req: request }],
    ['Mercurius', { reply: { request } }],
  ])('finds the request behind a GraphQL resolver under %s (the GraphQL context is the third argument)', (_, graphqlContext) => {
    expect(guardedRequestOf(contextOf('graphql', [undefined, {}, graphqlContext, {}]))).toBe(request);
  });

  it.each([
    ['a GraphQL context without a request', 'graphql', [undefined, {}, {}, {}]],
    ['a GraphQL call without a context', 'graphql', [undefined, {}]],
    ['an RPC handler', 'rpc', [{ order: 1 }, { getPattern: () => 'orders.place' }]],
    ['a WebSocket handler', 'ws', [{ send: () => undefined }, { room: 'a' }, 'history']],
  ])('finds none for %s', (_, type, args) => {
    expect(guardedRequestOf(contextOf(type, args))).toBeUndefined();
  });
});
