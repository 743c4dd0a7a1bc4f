import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { AdminGuard, AdminRequest, LitestripeAdminOptions } from './admin-options.interface.js';

export const DEFAULT_ADMIN_PATH = 'litestripe-admin';

export interface ResolvedAdminOptions {
  path: string;
  guards: AdminGuard[];
  actor: (request: AdminRequest) => string | null | undefined;
  imports: NonNullable<LitestripeAdminOptions['imports']>;
}

const KNOWN = ['guard', 'path', 'actor', 'imports'];
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const GUARD_REMEDY = 'Give the guard that lets only your operators in: LitestripeAdminModule.forRoot({ guard: AdminGuard }).';

/** Checks the admin module's options at start-up and fills in defaults. */
export function resolveAdminOptions(raw: LitestripeAdminOptions | undefined): ResolvedAdminOptions {
  if (raw === undefined || typeof raw !== 'object' || raw === null) fail('admin', 'is missing', GUARD_REMEDY);
  const unknown = Object.keys(raw).find((key) => !KNOWN.includes(key));
  if (unknown) fail(`admin.${unknown}`, 'is not an option', `Known: ${KNOWN.join(', ')}.`);
  const guards = raw.guard === undefined || raw.guard === null ? [] : Array.isArray(raw.guard) ? raw.guard : [raw.guard];
  if (guards.length === 0) fail('admin.guard', 'is missing: the admin shows payers\' emails and changes billing state, so it stays closed without a guard of yours', GUARD_REMEDY);
  guards.forEach((guard, index) => {
    if (!isGuard(guard)) fail(`admin.guard[${index}]`, `is not a guard class or instance (got ${describe(guard)})`, GUARD_REMEDY);
  });
  const path = raw.path === undefined ? DEFAULT_ADMIN_PATH : trimSlashes(raw.path);
  if (!PATH.test(path) || path.split('/').some((segment) => /^\.+$/.test(segment))) fail('admin.path', `is not a route path (got ${JSON.stringify(raw.path)})`, "Give segments of letters, digits, '.', '_', '~' or '-', e.g. 'ops/billing'.");
  if (raw.actor !== undefined && typeof raw.actor !== 'function') fail('admin.actor', 'must be a function of the request', 'Write actor: (request) => request.user?.id, or leave it out.');
  if (raw.imports !== undefined && !Array.isArray(raw.imports)) fail('admin.imports', 'must be an array of modules', 'Write imports: [AuthModule].');
  return { path, guards, actor: raw.actor ?? defaultActor, imports: raw.imports ?? [] };
}

/** The host guard's `request.user.id`, else `.sub`. */
export function defaultActor(request: AdminRequest): string | null {
  const user = request.user as Record<string, unknown> | undefined | null;
  if (!user || typeof user !== 'object') return null;
  for (const key of ['id', 'sub']) {
    const value = user[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

function isGuard(value: unknown): value is AdminGuard {
  if (typeof value === 'function') return true;
  return typeof value === 'object' && value !== null && typeof (value as { canActivate?: unknown }).canActivate === 'function';
}

function trimSlashes(value: unknown): string {
  return typeof value === 'string' ? value.replace(/^\/+|\/+$/g, '') : '';
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object without canActivate' : JSON.stringify(value) ?? typeof value;
}

function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}
