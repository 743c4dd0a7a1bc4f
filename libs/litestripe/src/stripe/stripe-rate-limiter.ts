import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { STRIPE_RATE_LIMIT_THROTTLER_NAME } from './stripe-client.constants';
import { StripeRateLimitExceededError } from './stripe-rate-limit-exceeded.error';
import { StripeRateLimiterClosedError } from './stripe-rate-limiter-closed.error';
import { monotonicMs } from '../common/clock';

export interface StripeRateLimiterOptions {
  /** Where requests are counted; shared by every instance of the app when it is shared (e.g. Redis). */
  storage: ThrottlerStorage;
  /** Key under which requests are counted in the store. */
  key: string;
  /** Requests allowed per window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Longest wait for a slot before `StripeRateLimitExceededError`, in milliseconds. */
  maxWaitMs: number;
  /** Clear the store's timers on shutdown: set when the limiter's owner created the store. */
  ownsStorage: boolean;
}

/**
 * `sliding-log`: the throttler's in-memory store with `blockDuration` 0 keeps a log of hits, each
 * alive for one window, and does not count refused calls. `counter`: any other store is taken to
 * count every `increment()` in a fixed window (as the Redis stores do); the limiter asks it never
 * to block (an unreachable limit) and compares the count with the limit itself, so polling while
 * the window is full costs nothing and no block key outlives the window.
 */
type StoreMode = 'sliding-log' | 'counter';

/**
 * Extra window length handed to the store (3%, at least 50 ms), against jitter between taking a
 * slot and the request reaching Stripe, and against slots taken late in a fixed window.
 */
const WINDOW_GUARD_RATIO = 0.03;
const MIN_WINDOW_GUARD_MS = 50;
const UNREACHABLE_LIMIT = Number.MAX_SAFE_INTEGER;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Verdict {
  granted: boolean;
  /** When refused: how long to wait before asking the store again. */
  retryInMs: number;
}

/**
 * Token-taking rate limiter in front of the Stripe API. Calls over the limit wait their turn, in
 * order of arrival within the process (only the head of the queue asks the store), up to
 * `maxWaitMs`.
 */
export class StripeRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('LitestripeRateLimiter');
  private readonly mode: StoreMode;
  private readonly storeWindowMs: number;
  private readonly pollMs: number;
  private readonly queue: Waiter[] = [];
  private draining = false;
  private closed = false;
  private pause?: { timer: NodeJS.Timeout; wake: () => void };
  private fallbackStorage?: ThrottlerStorageService;
  private lastStoreWarningAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: StripeRateLimiterOptions) {
    this.mode = options.storage instanceof ThrottlerStorageService ? 'sliding-log' : 'counter';
    this.storeWindowMs = options.windowMs + Math.max(Math.ceil(options.windowMs * WINDOW_GUARD_RATIO), MIN_WINDOW_GUARD_MS);
    this.pollMs = Math.min(Math.max(Math.round(options.windowMs / 100), 5), 1000);
  }

  /** Resolves when the caller may send one request; rejects past `maxWaitMs` or on shutdown. */
  acquire(): Promise<void> {
    if (this.closed) {
      return Promise.reject(new StripeRateLimiterClosedError());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => this.expire(waiter), this.options.maxWaitMs),
      };
      this.queue.push(waiter);
      this.drain();
    });
  }

  /** Refuses waiting and later calls, and clears timers (of the store too, when the limiter owns it). */
  onApplicationShutdown(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new StripeRateLimiterClosedError());
    }
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.wake();
    }
    if (this.options.ownsStorage) {
      (this.options.storage as Partial<OnApplicationShutdown>).onApplicationShutdown?.();
    }
    this.fallbackStorage?.onApplicationShutdown();
  }

  private expire(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index === -1) {
      return;
    }
    this.queue.splice(index, 1);
    waiter.reject(new StripeRateLimitExceededError(this.options.maxWaitMs, this.options.limit, this.options.windowMs));
  }

  private drain(): void {
    if (this.draining) {
      return;
    }
    this.draining = true;
    void this.serveQueue().finally(() => {
      this.draining = false;
      if (this.queue.length > 0 && !this.closed) {
        this.drain();
      }
    });
  }

  private async serveQueue(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      let verdict: Verdict;
      try {
        verdict = await this.takeSlot();
      } catch (error) {
        // Even the in-memory fallback failed: fail the head rather than stall the queue.
        const waiter = this.queue.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.reject(error instanceof Error ? error : new Error(String(error)));
        }
        continue;
      }
      if (verdict.granted) {
        // The head may have timed out meanwhile: the slot then goes to the next in line.
        const waiter = this.queue.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve();
        }
      } else {
        await this.sleep(verdict.retryInMs);
      }
    }
  }

  private async takeSlot(): Promise<Verdict> {
    try {
      return this.verdict(await this.increment(this.options.storage, this.mode), this.mode);
    } catch (error) {
      this.warnStoreFailure(error);
      this.fallbackStorage ??= new ThrottlerStorageService();
      return this.verdict(await this.increment(this.fallbackStorage, 'sliding-log'), 'sliding-log');
    }
  }

  private increment(storage: ThrottlerStorage, mode: StoreMode): Promise<ThrottlerStorageRecord> {
    const { key, limit } = this.options;
    return mode === 'sliding-log'
      ? storage.increment(key, this.storeWindowMs, limit, 0, STRIPE_RATE_LIMIT_THROTTLER_NAME)
      : storage.increment(key, this.storeWindowMs, UNREACHABLE_LIMIT, this.storeWindowMs, STRIPE_RATE_LIMIT_THROTTLER_NAME);
  }

  private verdict(record: ThrottlerStorageRecord, mode: StoreMode): Verdict {
    if (!record.isBlocked && record.totalHits <= this.options.limit) {
      return { granted: true, retryInMs: 0 };
    }
    // Store times are whole seconds rounded up: sleeping one second less never oversleeps,
    // then the head polls.
    const hintSeconds = mode === 'sliding-log' ? record.timeToBlockExpire : record.timeToExpire;
    const hintMs = Number.isFinite(hintSeconds) ? (hintSeconds - 1) * 1000 : 0;
    return { granted: false, retryInMs: Math.min(Math.max(hintMs, this.pollMs), this.storeWindowMs) };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        this.pause = undefined;
        resolve();
      };
      this.pause = { timer: setTimeout(wake, ms), wake };
    });
  }

  private warnStoreFailure(error: unknown): void {
    const now = monotonicMs();
    if (now - this.lastStoreWarningAt < this.options.windowMs) {
      return;
    }
    this.lastStoreWarningAt = now;
    const kind = error instanceof Error ? error.name : typeof error;
    this.logger.warn(
      `The rate-limit store failed (${kind}); Stripe API calls are limited per process until it answers again.`,
    );
  }
}
