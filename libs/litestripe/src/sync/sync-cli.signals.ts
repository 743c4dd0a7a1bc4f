/** Anything that emits process signals: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface SignalHandling {
  /** Told once, at the first signal. */
  onStopping: () => void;
  /** At the second signal: quit at once. */
  forceExit: () => void;
}

/**
 * The first SIGINT or SIGTERM aborts `controller` (the run stops after the items in flight and
 * prints its partial summary); a second one calls `forceExit`. Returns a function that removes the
 * listeners.
 */
export function stopOnSignals(controller: AbortController, handling: SignalHandling, source: SignalSource = process): () => void {
  const listener = () => {
    if (controller.signal.aborted) {
      handling.forceExit();
      return;
    }
    handling.onStopping();
    controller.abort();
  };
  source.on('SIGINT', listener);
  source.on('SIGTERM', listener);
  return () => {
    source.off('SIGINT', listener);
    source.off('SIGTERM', listener);
  };
}
