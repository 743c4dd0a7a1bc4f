import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Starts watching the event loop; the returned function stops and answers its longest stall in ms.
 * A timer waits behind a busy loop (other test workers on a loaded machine) that long, which is the
 * machine's lateness, not the code's under test.
 */
export function watchEventLoopStalls(): () => number {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return () => {
    delay.disable();
    return delay.max / 1e6;
  };
}
