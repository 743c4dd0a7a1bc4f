/** Every line the chaos hosts print, from every scenario, for the log scan at the end of the suite. */
export interface LogLine {
  instance: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export const capturedLogs: LogLine[] = [];

/** Every host process started (its label), whether or not it printed anything. */
export const startedInstances = new Set<string>();

/** Splits a stream's chunks into lines (a chunk may end mid-line). */
export function lineCollector(instance: string, stream: LogLine['stream'], tail: string[]): { push(chunk: Buffer): void; flush(): void } {
  let partial = '';
  const emit = (text: string) => {
    if (!text) return;
    capturedLogs.push({ instance, stream, text });
    tail.push(text);
    if (tail.length > 60) tail.shift();
  };
  return {
    push(chunk) {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(emit);
    },
    flush() {
      emit(partial);
      partial = '';
    },
  };
}
