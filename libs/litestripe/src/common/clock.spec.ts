import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { unixSeconds } from './clock.js';

const LIBRARY = join(__dirname, '..');

/** The library's own sources: not its specs, not the testing kit (whose fake Stripe has a clock of its own). */
function librarySources(dir = LIBRARY): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || entry.name === 'test-support' ? [] : librarySources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the module clock', () => {
  it('reads whole unix seconds, rounding down', () => {
    expect(unixSeconds({ now: () => new Date('2027-01-31T12:00:00.999Z') })).toBe(Date.UTC(2027, 0, 31, 12) / 1000);
    expect(unixSeconds({ now: () => new Date(-1500) })).toBe(-2);
  });

  it('is the only place the library reads the wall clock', () => {
    const readers = librarySources()
      .filter((path) => path !== join(__dirname, 'clock.ts'))
      .flatMap((path) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(LIBRARY, path)}:${i + 1}` }))
          .filter(({ line }) => /Date\.now\(|new Date\(\)|CURRENT_DATE|LOCALTIMESTAMP/.test(line)),
      )
      .map(({ at }) => at);
    expect(readers).toEqual([]);
  });
});
