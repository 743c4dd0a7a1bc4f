import { Inject, Injectable } from '@nestjs/common';
import type { AccountRequest } from '../config/entitlement-options.interface.js';
import { LITESTRIPE_GUEST_OPTIONS, ResolvedGuestOptions } from '../config/guest-options.js';
import { GuestTokenReader, TokenGuest } from './guest-token.reader.js';
import { cookieValues } from '../common/cookie-values.js';

/** The part of an Express or Fastify request a token is read from. */
interface TokenCarrier {
  headers?: Record<string, string | string[] | undefined>;
  cookies?: Record<string, unknown>;
}

/**
 * Where `SubscriptionGuard` reads a guest's token (`guests.tokenFrom`) and which client a bad one
 * counts against (`guests.clientKey`).
 */
@Injectable()
export class GuestRequests {
  constructor(
    @Inject(LITESTRIPE_GUEST_OPTIONS) private readonly options: ResolvedGuestOptions,
    private readonly tokens: GuestTokenReader,
  ) {}

  /** Whether the guard admits guests at all. */
  get enabled(): boolean {
    return this.options.tokenFrom !== null;
  }

  /** The token the request carries where the host said; undefined when none. */
  tokenOf(request: AccountRequest): string | undefined {
    const from = this.options.tokenFrom;
    if (from === null) return undefined;
    const carrier = request as TokenCarrier;
    if ('header' in from) return first(carrier.headers?.[from.header]);
    const parsed = carrier.cookies?.[from.cookie];
    if (typeof parsed === 'string') return parsed || undefined;
    return cookieValues(first(carrier.headers?.cookie), from.cookie)[0] || undefined;
  }

  /** The guest of the request's token: a 401 for an unusable one, a 429 once its client presented too many. */
  guestOf(request: AccountRequest, token: string): Promise<TokenGuest> {
    return this.tokens.resolve(token, this.clientOf(request));
  }

  private clientOf(request: AccountRequest): string | null {
    const key = this.options.clientKey(request);
    return typeof key === 'string' && key !== '' ? key : null;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  return one === '' ? undefined : one;
}
