import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../config/resolved-options.js';
import type { LitestripeClientOptions } from '../config/stripe-client-options.interface.js';
import { LITESTRIPE_GUEST_OPTIONS, ResolvedGuestOptions } from '../config/guest-options.js';
import { ThrottlerStoreWithFallback } from '../stripe/throttler-store-with-fallback.js';
import { GuestTokenAttemptsException } from '../errors/guest-token-attempts.exception.js';
import { monotonicMs } from '../common/clock.js';

const THROTTLER_NAME = 'litestripe-guest-tokens';
/** Blocked clients remembered in-process, so that their guesses cost no database read. */
const MAX_BLOCKED_KEPT = 10_000;

/**
 * Counts each client's unusable guest tokens (`guests.tokenAttempts`) in `rateLimitStorage`, the
 * store the API rate limiter and billing actions use. Only failures count: a guest using a valid
 * token is never slowed down. Past the limit, the client is refused for the rest of the window, before
 * its token is even looked up.
 */
@Injectable()
export class GuestTokenAttempts implements OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private readonly stores: ThrottlerStoreWithFallback;
  private readonly blockedUntil = new Map<string, number>();
  private ownStorage?: ThrottlerStorageService;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly base: ResolvedLitestripeOptions & Pick<LitestripeClientOptions, 'rateLimitStorage'>,
    @Inject(LITESTRIPE_GUEST_OPTIONS) private readonly options: ResolvedGuestOptions,
  ) {
    const storage = base.rateLimitStorage ?? (this.ownStorage = new ThrottlerStorageService());
    this.stores = new ThrottlerStoreWithFallback(storage, this.logger, 'guest token attempts');
  }

  /** Throws `GuestTokenAttemptsException` while the client is blocked. */
  refuseIfBlocked(client: string | null): void {
    if (client === null) return;
    const until = this.blockedUntil.get(client);
    if (until === undefined) return;
    const left = until - monotonicMs();
    if (left > 0) throw new GuestTokenAttemptsException(Math.ceil(left / 1000));
    this.blockedUntil.delete(client);
  }

  /** Counts one unusable token of the client; throws `GuestTokenAttemptsException` once past the limit. */
  async failed(client: string | null): Promise<void> {
    const limit = this.options.tokenAttempts;
    if (limit === false || client === null) return;
    const seconds = await this.stores.hit(`${this.base.rateLimitCacheKey}:guest-token:${client}`, limit.limit, limit.windowSeconds, THROTTLER_NAME);
    if (seconds === null) return;
    if (this.blockedUntil.size >= MAX_BLOCKED_KEPT) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    this.blockedUntil.set(client, monotonicMs() + seconds * 1000);
    throw new GuestTokenAttemptsException(seconds);
  }

  onApplicationShutdown(): void {
    this.ownStorage?.onApplicationShutdown();
    this.stores.close();
  }
}
