import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { STRIPE_CLIENT_DEFAULTS } from '../config/stripe-client-options.validator.js';
import { STRIPE_RATE_LIMIT_THROTTLER_NAME } from './stripe-client.constants.js';
import { StripeRateLimitExceededError } from '../errors/stripe-rate-limit-exceeded.error.js';
import { StripeRateLimitQueueFullError } from '../errors/stripe-rate-limit-queue-full.error.js';
import { StripeRateLimiterClosedError } from '../errors/stripe-rate-limiter-closed.error.js';
import type { StripeRequestLane } from './stripe-request-lane.js';
import { ThrottlerStoreWithFallback } from './throttler-store-with-fallback.js';

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
  /**
   * Share of `limit` (0 to below 1) only the `refresh` lane may use; the default lane gets the rest,
   * at least one request per window.
   * @default 0
   */
  reserveForRefreshes?: number;
  /**
   * Calls each lane may hold waiting per process; one more is refused at once.
   * @default 1000
   */
  maxQueue?: number;
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

/** The default lane's share of `limit`: what the reserve leaves, rounded down, and at least one request. */
export function defaultLaneLimit(limit: number, reserveForRefreshes: number): number {
  // The epsilon keeps 75 * 0.8 from rounding down to 59.
  return Math.max(1, Math.floor(limit * (1 - reserveForRefreshes) + 1e-9));
}

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One lane's FIFO queue and drain loop: a refresh never waits behind a default-lane call. */
interface Lane {
  /** Requests per window this lane may take in all. */
  readonly limit: number;
  /** Store key this lane counts under besides the shared one (the default lane, when there is a reserve). */
  readonly ownKey?: string;
  readonly queue: Waiter[];
  draining: boolean;
  pause?: { timer: NodeJS.Timeout; wake: () => void };
}

interface Verdict {
  granted: boolean;
  /** When refused: how long to wait before asking the store again. */
  retryInMs: number;
}

/**
 * Token-taking rate limiter in front of the Stripe API. Calls over the limit wait their turn, in
 * order of arrival within the process and lane (only the head of a lane's queue asks the store), up
 * to `maxWaitMs`. The `refresh` lane may use the whole limit; the `default` lane is also counted
 * under its own key, `<key>:default`, against the limit less the reserve, and asks that key first:
 * a default-lane call refused there never touches the shared count, so (in counter mode, where
 * every `increment()` counts) its polling cannot eat the reserve. When its own key grants but the
 * shared one refuses (refreshes took the rest), that hit of its own key is spent for nothing: the
 * default lane then waits a little longer, the reserve is untouched.
 */
export class StripeRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('LitestripeRateLimiter');
  private readonly mode: StoreMode;
  private readonly storeWindowMs: number;
  private readonly pollMs: number;
  private readonly maxQueue: number;
  private readonly lanes: Record<StripeRequestLane, Lane>;
  private closed = false;
  private readonly stores: ThrottlerStoreWithFallback;

  constructor(private readonly options: StripeRateLimiterOptions) {
    this.mode = options.storage instanceof ThrottlerStorageService ? 'sliding-log' : 'counter';
    this.stores = new ThrottlerStoreWithFallback(options.storage, this.logger, 'Stripe API calls');
    this.storeWindowMs = options.windowMs + Math.max(Math.ceil(options.windowMs * WINDOW_GUARD_RATIO), MIN_WINDOW_GUARD_MS);
    this.pollMs = Math.min(Math.max(Math.round(options.windowMs / 100), 5), 1000);
    this.maxQueue = options.maxQueue ?? STRIPE_CLIENT_DEFAULTS.maxRateLimitQueue;
    const defaultLimit = defaultLaneLimit(options.limit, options.reserveForRefreshes ?? 0);
    if (defaultLimit < options.limit) {
      this.lanes = {
        refresh: { limit: options.limit, queue: [], draining: false },
        default: { limit: defaultLimit, ownKey: `${options.key}:default`, queue: [], draining: false },
      };
    } else {
      // No reserve, one queue: two queues polling one count would let a steady backlog of either
      // lane take every slot and starve the other, where one queue serves each call in its turn.
      const lane: Lane = { limit: options.limit, queue: [], draining: false };
      this.lanes = { refresh: lane, default: lane };
    }
  }

  /**
   * Resolves when the caller may send one request in `lane`; rejects at once when `maxQueue` calls
   * of the lane are waiting, past `maxWaitMs`, or on shutdown.
   */
  acquire(laneName: StripeRequestLane = 'default'): Promise<void> {
    if (this.closed) {
      return Promise.reject(new StripeRateLimiterClosedError());
    }
    const lane = this.lanes[laneName];
    if (lane.queue.length >= this.maxQueue) {
      return Promise.reject(new StripeRateLimitQueueFullError(this.maxQueue, lane.limit, this.options.windowMs));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => this.expire(lane, waiter), this.options.maxWaitMs),
      };
      lane.queue.push(waiter);
      this.drain(lane);
    });
  }

  /** Calls waiting in each lane of this process (for metrics and tests); with no reserve, all under `default`. */
  waiting(): Record<StripeRequestLane, number> {
    const { refresh, default: other } = this.lanes;
    return { refresh: refresh === other ? 0 : refresh.queue.length, default: other.queue.length };
  }

  /** Refuses waiting and later calls, and clears timers (of the store too, when the limiter owns it). */
  onApplicationShutdown(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const lane of new Set(Object.values(this.lanes))) {
      for (const waiter of lane.queue.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new StripeRateLimiterClosedError());
      }
      if (lane.pause) {
        clearTimeout(lane.pause.timer);
        lane.pause.wake();
      }
    }
    if (this.options.ownsStorage) {
      (this.options.storage as Partial<OnApplicationShutdown>).onApplicationShutdown?.();
    }
    this.stores.close();
  }

  private expire(lane: Lane, waiter: Waiter): void {
    const index = lane.queue.indexOf(waiter);
    if (index === -1) {
      return;
    }
    lane.queue.splice(index, 1);
    waiter.reject(new StripeRateLimitExceededError(this.options.maxWaitMs, lane.limit, this.options.windowMs));
  }

  private drain(lane: Lane): void {
    if (lane.draining) {
      return;
    }
    lane.draining = true;
    void this.serveQueue(lane).finally(() => {
      lane.draining = false;
      if (lane.queue.length > 0 && !this.closed) {
        this.drain(lane);
      }
    });
  }

  private async serveQueue(lane: Lane): Promise<void> {
    while (lane.queue.length > 0 && !this.closed) {
      let verdict: Verdict;
      try {
        verdict = await this.takeSlot(lane);
      } catch (error) {
        // Even the in-memory fallback failed: fail the head rather than stall the queue.
        const waiter = lane.queue.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.reject(error instanceof Error ? error : new Error(String(error)));
        }
        continue;
      }
      if (verdict.granted) {
        // The head may have timed out meanwhile: the slot then goes to the next in line.
        const waiter = lane.queue.shift();
        if (waiter) {
          clearTimeout(waiter.timer);
          waiter.resolve();
        }
      } else {
        await this.sleep(lane, verdict.retryInMs);
      }
    }
  }

  private takeSlot(lane: Lane): Promise<Verdict> {
    // The in-memory fallback is a sliding log, whatever the shared store is.
    return this.stores.count((storage, inMemory) => this.ask(storage, inMemory ? 'sliding-log' : this.mode, lane), this.options.windowMs);
  }

  /** The lane's own count first (if it has one), then the count every lane shares. */
  private async ask(storage: ThrottlerStorage, mode: StoreMode, lane: Lane): Promise<Verdict> {
    if (lane.ownKey !== undefined) {
      const own = this.verdict(await this.increment(storage, mode, lane.ownKey, lane.limit), mode, lane.limit);
      if (!own.granted) {
        return own;
      }
    }
    const { key, limit } = this.options;
    return this.verdict(await this.increment(storage, mode, key, limit), mode, limit);
  }

  private increment(storage: ThrottlerStorage, mode: StoreMode, key: string, limit: number): Promise<ThrottlerStorageRecord> {
    return mode === 'sliding-log'
      ? storage.increment(key, this.storeWindowMs, limit, 0, STRIPE_RATE_LIMIT_THROTTLER_NAME)
      : storage.increment(key, this.storeWindowMs, UNREACHABLE_LIMIT, this.storeWindowMs, STRIPE_RATE_LIMIT_THROTTLER_NAME);
  }

  private verdict(record: ThrottlerStorageRecord, mode: StoreMode, limit: number): Verdict {
    if (!record.isBlocked && record.totalHits <= limit) {
      return { granted: true, retryInMs: 0 };
    }
    // Store times are whole seconds rounded up: sleeping one second less never oversleeps,
    // then the head polls.
    const hintSeconds = mode === 'sliding-log' ? record.timeToBlockExpire : record.timeToExpire;
    const hintMs = Number.isFinite(hintSeconds) ? (hintSeconds - 1) * 1000 : 0;
    return { granted: false, retryInMs: Math.min(Math.max(hintMs, this.pollMs), this.storeWindowMs) };
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        lane.pause = undefined;
        resolve();
      };
      lane.pause = { timer: setTimeout(wake, ms), wake };
    });
  }
}
