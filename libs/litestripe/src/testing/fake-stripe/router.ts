import type Stripe from 'stripe';
import type { FakeStripeContext } from './fake-stripe.context.js';
import type { FormParams } from './form-body.parser.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  pathParams: Readonly<Record<string, string>>;
  params: FormParams;
  requestId: string;
  idempotencyKey: string | null;
  /** What events caused by this request carry as `request`. */
  eventRequest: Stripe.Event.Request;
}

/** Returns the JSON body of a 200 answer, or throws a FakeStripeApiError. */
export type RouteHandler = (request: ApiRequest, ctx: FakeStripeContext) => unknown;

export interface Route {
  method: HttpMethod;
  /** e.g. `/v1/subscriptions/:id/resume` */
  pattern: string;
  handler: RouteHandler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { ...route, names, regex: new RegExp(`^${source}/?$`) };
    });
  }

  match(method: string, path: string): { handler: RouteHandler; pathParams: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.regex.exec(path);
      if (!match) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, index) => (pathParams[name] = decodeURIComponent(match[index + 1])));
      return { handler: route.handler, pathParams };
    }
    return null;
  }
}
