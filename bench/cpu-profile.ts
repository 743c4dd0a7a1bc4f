import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * Preloaded (`node -r`) into a server process by `webhook-throughput --profile`: samples the CPU
 * of the measured phase only (the parent sends `profile-start` after the warm-up and
 * `profile-stop` at the end), writes the `.cpuprofile` (open it in Chrome DevTools) to
 * BENCH_PROFILE_FILE, and answers with the self time per package and per function.
 */

export interface ProfileSummary {
  type: 'profile-summary';
  file: string;
  totalMs: number;
  /** [category, self ms] by descending time: a package, the library, node internals, GC... */
  categories: [string, number][];
  /** [function @ place, self ms], the top 25. */
  functions: [string, number][];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const session = new Session();
session.connect();

const post = <T>(method: string, params?: object) =>
  new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));

export function categoryOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  if (/\/libs\/litestripe\//.test(url)) return 'litestripe (library)';
  if (/\/apps\/demo\//.test(url)) return 'demo app';
  if (/\/bench\//.test(url)) return 'bench';
  const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
  if (internal) return `node:${internal[1]}`;
  return url;
}

function summarise(profile: Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    totalMs += ms;
    const category = categoryOf(url, functionName);
    categories.set(category, (categories.get(category) ?? 0) + ms);
    const place = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(libs|apps|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${place ? ` @ ${place}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return { type: 'profile-summary', file, totalMs, categories: sorted(categories), functions: sorted(functions).slice(0, 25) };
}

process.on('message', (message: { cmd?: string }) => {
  if (message?.cmd === 'profile-start') {
    void post('Profiler.enable')
      .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
      .then(() => post('Profiler.start'))
      .then(() => process.send?.({ type: 'profile-started' }));
  } else if (message?.cmd === 'profile-stop') {
    void post<{ profile: Profile }>('Profiler.stop').then(({ profile }) => {
      const file = process.env.BENCH_PROFILE_FILE ?? `bench-${process.pid}.cpuprofile`;
      writeFileSync(file, JSON.stringify(profile));
      process.send?.(summarise(profile, file));
    });
  }
});
