import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnsupportedMediaTypeException } from '@nestjs/common';
import type { AdminRequest } from './admin-options.interface.js';
import { LITESTRIPE_ADMIN_OPTIONS } from './admin.tokens.js';
import type { ResolvedAdminOptions } from './admin-options.js';
import { hasValidCsrfToken } from './admin-csrf.js';

const ACTOR = Symbol('litestripe admin actor');
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Runs after the host's guard on every admin route: names the actor (none, no entry) and, for a
 * change, demands a JSON body (no cross-site form can send one) and the CSRF token.
 */
@Injectable()
export class AdminRequestGuard implements CanActivate {
  constructor(@Inject(LITESTRIPE_ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest & { [ACTOR]?: string }>();
    const actor = this.options.actor(request);
    if (typeof actor !== 'string' || actor.trim() === '') {
      throw new ForbiddenException(
        'The admin guard let this request in, but it names no actor: set request.user.id (or .sub) in your guard, or give LitestripeAdminModule the `actor` option.',
      );
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (!JSON_CONTENT_TYPE.test(String(request.headers['content-type'] ?? ''))) throw new UnsupportedMediaTypeException('Admin actions take a JSON body (application/json).');
      if (!hasValidCsrfToken(request)) {
        throw new ForbiddenException('Missing or wrong CSRF token: send the x-csrf-token header with the token of GET api/csrf (the pages do this for you).');
      }
    }
    request[ACTOR] = actor.trim();
    return true;
  }
}

/** The actor `AdminRequestGuard` named for this request. */
export function actorOf(request: object): string {
  return (request as { [ACTOR]: string })[ACTOR];
}
