import type { AccountRequest } from './entitlement-options.interface.js';

/** The `guests` option after validation, with every default filled in. */
export interface ResolvedGuestOptions {
  tokenFrom: { header: string } | { cookie: string } | null;
  tokenTtlDays: number | null;
  tokenAttempts: { limit: number; windowSeconds: number } | false;
  clientKey: (request: AccountRequest) => string | null | undefined;
}

export const GUEST_DEFAULTS = { tokenAttempts: { limit: 10, windowSeconds: 60 } } as const;

/** Injection token of {@link ResolvedGuestOptions}. */
export const LITESTRIPE_GUEST_OPTIONS = Symbol('LITESTRIPE_GUEST_OPTIONS');

/** `request.ip` (Express and Fastify both resolve it behind their proxy settings), else the socket's address. */
export function defaultGuestClientKey(request: AccountRequest): string | null {
  const ip = (request as { ip?: unknown }).ip;
  if (typeof ip === 'string' && ip !== '') return ip;
  const socket = (request as { socket?: { remoteAddress?: unknown } }).socket;
  return typeof socket?.remoteAddress === 'string' ? socket.remoteAddress : null;
}
