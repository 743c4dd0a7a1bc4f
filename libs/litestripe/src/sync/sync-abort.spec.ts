import { ABORTED, settle, untilAborted } from './sync-abort.js';

describe('untilAborted', () => {
  it('gives the result when no signal fires', async () => {
    expect(await untilAborted(Promise.resolve(7), new AbortController().signal)).toBe(7);
    expect(await untilAborted(Promise.resolve(7), undefined)).toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow('boom');
  });

  it('stops waiting when the signal fires, and leaves a later failure unobserved', async () => {
    const controller = new AbortController();
    let fail!: (error: Error) => void;
    const waiting = untilAborted(new Promise<number>((_, reject) => (fail = reject)), controller.signal);
    controller.abort();
    expect(await waiting).toBe(ABORTED);
    fail(new Error('late')); // must not become an unhandled rejection
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('answers at once for a signal that already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await untilAborted(Promise.reject(new Error('late')), controller.signal)).toBe(ABORTED);
  });
});

describe('settle', () => {
  it('turns the outcome into a value', async () => {
    expect(await settle(Promise.resolve(1))).toEqual({ value: 1 });
    const error = new Error('no');
    expect(await settle(Promise.reject(error))).toEqual({ error });
  });
});
