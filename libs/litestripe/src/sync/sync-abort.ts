/** What {@link untilAborted} resolves with when the signal fired first. */
export const ABORTED = Symbol('aborted');

/**
 * Waits for `work` unless `signal` fires first; then resolves with {@link ABORTED} at once and
 * leaves `work` to finish (or fail) unobserved. For waits that may be long (a rate-limited API
 * call), so that an interrupted run stops promptly.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A promise's outcome as a value, so that it can wait (a prefetched page) without an unhandled rejection. */
export type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: unknown };

export function settle<T>(work: Promise<T>): Promise<Settled<T>> {
  return work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}
