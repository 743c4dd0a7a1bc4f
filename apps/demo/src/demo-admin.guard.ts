import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { demoAdminToken } from './admin-token.config';

/** The cookie GET /admin-login sets, so that a browser can use the admin's pages. */
export const ADMIN_TOKEN_COOKIE = 'admin_token';

interface AdminRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: unknown;
}

/**
 * The demo's operator check for LitestripeAdminModule: the demo admin token (admin-token.config.ts)
 * as `Authorization: Bearer <token>` or in the `admin_token` cookie. It stands in for your staff
 * authentication; the admin module is closed without a guard like this one.
 */
@Injectable()
export class DemoAdminGuard implements CanActivate {
  private readonly token = demoAdminToken();

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const presented = bearerOf(request.headers.authorization) ?? cookieOf(request.headers.cookie, ADMIN_TOKEN_COOKIE);
    if (!isDemoAdminToken(presented, this.token)) {
      throw new UnauthorizedException('The admin needs the demo admin token: open /admin-login?token=<token> in a browser, or send Authorization: Bearer <token>. The demo prints it at start-up unless DEMO_ADMIN_TOKEN sets it.');
    }
    // Whoever holds the token is the one demo operator: the admin logs its actions under this id.
    request.user = { id: 'demo-admin' };
    return true;
  }
}

/** Whether `presented` is the token, compared in constant time (both hashed first, so their lengths give nothing away either). */
export function isDemoAdminToken(presented: string | null | undefined, token: string | null): boolean {
  if (!token || typeof presented !== 'string' || presented === '') return false;
  return timingSafeEqual(sha256(presented), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerOf(header: string | string[] | undefined): string | null {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
  return match ? match[1] : null;
}

/** A malformed escape in a cookie is no token (not a 500). */
function decoded(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function cookieOf(header: string | string[] | undefined, name: string): string | null {
  for (const cookie of typeof header === 'string' ? header.split(';') : []) {
    const [key, ...value] = cookie.trim().split('=');
    if (key === name) return decoded(value.join('='));
  }
  return null;
}
