import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdminRequest } from './admin-options.interface.js';
import { cookieValues } from '../common/cookie-values.js';

/**
 * Double-submit CSRF protection, whatever the host's authentication: a random token in a
 * SameSite=Strict cookie, which a page of the admin reads from its own markup and sends back in a
 * header. Another site can make the browser send the cookie, but cannot read it to set the header.
 */
export const CSRF_COOKIE = 'litestripe_admin_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The request's token, or a new one; `setCookie` is the header to send when it is new. */
export function csrfTokenFor(request: AdminRequest): { token: string; setCookie: string | null } {
  const existing = cookieToken(request);
  if (existing) return { token: existing, setCookie: null };
  const token = randomBytes(32).toString('base64url');
  const secure = isHttps(request) ? '; Secure' : '';
  return { token, setCookie: `${CSRF_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure}` };
}

/** Whether the header repeats the cookie's token (compared in constant time). */
export function hasValidCsrfToken(request: AdminRequest): boolean {
  const cookie = cookieToken(request);
  const header = request.headers[CSRF_HEADER];
  if (!cookie || typeof header !== 'string' || !TOKEN.test(header)) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(header));
}

function cookieToken(request: AdminRequest): string | null {
  const header = request.headers.cookie;
  return cookieValues(typeof header === 'string' ? header : undefined, CSRF_COOKIE).find((value) => TOKEN.test(value)) ?? null;
}

function isHttps(request: AdminRequest & { protocol?: string }): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}
