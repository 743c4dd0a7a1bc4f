/** The PostgreSQL server the benches create their databases on, unless --database-url or BENCH_DATABASE_URL names another. */
const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A bench's command line, read by `readFlags`. */
export interface BenchFlags {
  has(name: string): boolean;
  /** The flag's value, else the environment variable `env`'s, else `fallback`. */
  text(name: string, fallback: string, env?: string): string;
  /** As `text`, as a whole number of at least `min`. */
  wholeNumber(name: string, fallback: number, min: number, env?: string): number;
  /** `--database-url`, else BENCH_DATABASE_URL, else the local server. */
  serverUrl(): string;
}

/**
 * Reads `--name value` and `--name=value` flags (`switches` take no value); refuses positional
 * arguments and flags not in `known` or `switches`, naming the ones it knows.
 */
export function readFlags(argv: readonly string[], known: readonly string[], switches: readonly string[] = []): BenchFlags {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`Unexpected argument ${argv[i]}`);
    const [name, inline] = argv[i].slice(2).split('=', 2);
    flags.set(name, inline ?? (switches.includes(name) ? 'true' : (argv[++i] ?? '')));
  }
  const all = [...known, ...switches];
  for (const name of flags.keys()) if (!all.includes(name)) throw new Error(`Unknown flag --${name}; known: ${all.map((flag) => `--${flag}`).join(', ')}`);
  const text = (name: string, fallback: string, env?: string) => flags.get(name) ?? (env ? process.env[env] : undefined) ?? fallback;
  return {
    has: (name) => flags.has(name),
    text,
    wholeNumber(name, fallback, min, env) {
      const value = Number(text(name, String(fallback), env));
      if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}`);
      return value;
    },
    serverUrl: () => text('database-url', DEFAULT_SERVER_URL, 'BENCH_DATABASE_URL'),
  };
}
