import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `@opentelemetry/api` is an optional peer: a host without it must be able to import the module.
 * Only type imports (erased at build) may name it; it is loaded by the dynamic import of
 * global-meter-provider.ts, when metrics are on.
 */
const SRC = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the optional peer @opentelemetry/api', () => {
  it('is imported for its types only', () => {
    const loads = sourceFiles(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^(import|export)(?! type )[^;]*from '@opentelemetry\/[^']+'|require\('@opentelemetry\/[^']+'\)/gm)].map(([statement]) => `${relative(SRC, file)}: ${statement}`),
    );
    expect(loads).toEqual([]);
  });
});
