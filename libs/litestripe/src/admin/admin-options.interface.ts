import type { CanActivate, ModuleMetadata, Type } from '@nestjs/common';

/** The parts of an Express or Fastify request the admin reads. */
export interface AdminRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** What the host's authentication put there (Passport and most guards use `request.user`). */
  user?: unknown;
}

/** A guard class (resolved in the admin module, with `imports`) or instance. */
export type AdminGuard = Type<CanActivate> | CanActivate;

/** Options of `LitestripeAdminModule.forRoot`. */
export interface LitestripeAdminOptions {
  /**
   * The host's guard(s) that decide who is an operator. Required: the admin is closed without one.
   * They run first on every page and endpoint; `request.user` they set names the actor.
   */
  guard: AdminGuard | AdminGuard[];
  /** Where the pages and the JSON API are mounted. @default 'litestripe-admin' */
  path?: string;
  /**
   * Who is acting, for the log of every action. @default the guard's `request.user.id` (or `.sub`).
   * A request with no actor is refused (403). An actor that looks like an email is logged as its hash.
   */
  actor?: (request: AdminRequest) => string | null | undefined;
  /** Modules the guard depends on (e.g. the host's auth module). */
  imports?: ModuleMetadata['imports'];
}
