import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The house's rules, read from the imports: the read path (access/) stands on shared folders only,
 * and no two folders import each other, directly or around a loop. Specs and the testing kit aside.
 */
const SRC = __dirname;
const READ_PATH_MAY_IMPORT = ['common', 'config', 'entities', 'errors', 'stripe', 'metrics'];
/** Every path reports to metrics/, so it stands below them all. */
const METRICS_MAY_IMPORT = ['common', 'config', 'errors'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' || entry.name === 'test-support' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function folderOf(path: string): string {
  const parts = relative(SRC, path).split('/');
  return parts.length > 1 ? parts[0] : '.';
}

/** folder → folders it imports (relative imports only), with one example each. */
function folderImports(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from === '.') continue; // the module file and the index wire everything together
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), specifier) + '.ts');
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(to, `${relative(SRC, file)} imports ${specifier}`);
    }
  }
  return graph;
}

function cycleFrom(graph: Map<string, Map<string, string>>, start: string): string[] | null {
  const path: string[] = [];
  const visit = (folder: string, seen: Set<string>): string[] | null => {
    for (const next of graph.get(folder)?.keys() ?? []) {
      if (next === start) return [...path, folder, next];
      if (seen.has(next)) continue;
      seen.add(next);
      path.push(folder);
      const found = visit(next, seen);
      path.pop();
      if (found) return found;
    }
    return null;
  };
  return visit(start, new Set());
}

describe('the folders of the library', () => {
  const graph = folderImports();

  it('has a read path that imports nothing of the write path', () => {
    const imported = [...(graph.get('access') ?? new Map<string, string>())].filter(([folder]) => !READ_PATH_MAY_IMPORT.includes(folder));
    expect(imported.map(([, example]) => example)).toEqual([]);
  });

  it('has metrics that import nothing of the paths they measure', () => {
    const imported = [...(graph.get('metrics') ?? new Map<string, string>())].filter(([folder]) => !METRICS_MAY_IMPORT.includes(folder));
    expect(imported.map(([, example]) => example)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const cycles = [...graph.keys()].map((folder) => cycleFrom(graph, folder)).filter((cycle) => cycle !== null);
    expect(cycles.map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('keeps files named *.sync.ts in sync/', () => {
    const misplaced = sourceFiles(SRC).filter((file) => file.endsWith('.sync.ts') && folderOf(file) !== 'sync');
    expect(misplaced.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('keeps @nestjs/terminus in health/, which nothing else imports (hosts without terminus load every other entry)', () => {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));
    const offending = files.filter((file) => {
      const path = join(SRC, file);
      if (folderOf(path) === 'health') return false;
      const text = readFileSync(path, 'utf8');
      return text.includes("'@nestjs/terminus'") || [...text.matchAll(/from '(\.[^']+)'/g)].some(([, specifier]) => folderOf(resolve(dirname(path), specifier) + '.ts') === 'health');
    });
    expect(offending).toEqual([]);
    expect(graph.get('health')?.size).toBeGreaterThan(0);
  });

  it('sees the folders it checks (the rules above are not vacuous)', () => {
    expect([...graph.keys()]).toEqual(expect.arrayContaining(['access', 'billing', 'state', 'webhook', 'events']));
    expect([...graph.get('billing')!.keys()]).toContain('access');
  });
});
