import { EventEmitter } from 'node:events';
import { stopOnSignals } from './sync-cli.signals.js';

describe('stopOnSignals', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('aborts at the first %s and quits at the second', (signal) => {
    const source = new EventEmitter();
    const controller = new AbortController();
    const calls: string[] = [];
    const remove = stopOnSignals(controller, { onStopping: () => calls.push('stopping'), forceExit: () => calls.push('exit') }, source);

    source.emit(signal);
    expect(controller.signal.aborted).toBe(true);
    expect(calls).toEqual(['stopping']);
    source.emit(signal);
    expect(calls).toEqual(['stopping', 'exit']);

    remove();
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
  });
});
