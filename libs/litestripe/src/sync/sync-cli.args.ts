import { SyncUsageError } from '../errors/sync-usage.error.js';

/** What the command line asks for. */
export type SyncCommand =
  | { mode: 'backfill'; startingAfter?: string; concurrency?: number }
  | { mode: 'replay'; days: number }
  | { mode: 'upgrade' }
  | { mode: 'subscription'; id: string }
  | { mode: 'customer'; id: string }
  | { mode: 'events-failed'; limit: number }
  | { mode: 'events-retry'; ids: string[] | null }
  | { mode: 'guests-link'; file: string };

export interface SyncCliArgs {
  command: SyncCommand | null;
  /** Without a terminal: a progress line every this many items. */
  every: number;
  verbose: boolean;
  help: boolean;
}

export const SYNC_USAGE = `Usage: sync <command> [options]

Commands:
  backfill                  every subscription in Stripe (any status), with orphan records for those with no account
  replay                    events Stripe failed to deliver, through the webhook pipeline (each once)
  subscription <sub_...>    one subscription, as Stripe has it now
  customer <cus_...>        every subscription of one customer
  upgrade                   rows an upgrade left incomplete, re-read from Stripe (see the README's upgrade notes)
  events failed             webhook events kept as failed (oldest first), with their error
  events retry [evt_...]    queue failed events again (the ids given, or all) for the inbox's appliers
  guests link <file|->      link guests to accounts by emails your app verified: a CSV of email,accountRef lines

Options:
  --days <1-30>             replay: how many days back to look (default 30, Stripe's limit)
  --starting-after <sub_...> backfill: resume after this subscription (printed when a run is interrupted)
  --concurrency <1-32>      backfill: subscriptions written at once (default 4)
  --limit <n>               events failed: how many to list (default 100)
  --every <n>               without a terminal: a progress line every n items (default 100)
  --verbose                 log everything the module logs (default: warnings and errors)
  -h, --help                this text

Exit code: 0 when every item synced, 1 when an item or a list page failed (events retry: an id that was not a retryable failed event; guests link: a link refused), 130 when interrupted (Ctrl-C), 2 on a usage error.
`;

const ID_PATTERNS = { subscription: /^sub_[A-Za-z0-9]+$/, customer: /^cus_[A-Za-z0-9]+$/, event: /^evt_[A-Za-z0-9]+$/ } as const;
const FLAGS_WITH_VALUE = new Set(['days', 'starting-after', 'concurrency', 'every', 'limit']);
const FLAGS_OF_MODE: Record<string, SyncCommand['mode']> = { days: 'replay', 'starting-after': 'backfill', concurrency: 'backfill', limit: 'events-failed' };

/** Parses `[sync] <command> [options]` (the words after the script name). */
export function parseSyncArgs(argv: readonly string[]): SyncCliArgs {
  const words: string[] = [];
  const flags = new Map<string, string>();
  let help = false;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '--verbose') verbose = true;
    else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (!FLAGS_WITH_VALUE.has(name)) throw new SyncUsageError(`Unknown option --${name}.`);
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new SyncUsageError(`--${name} needs a value.`);
      flags.set(name, value);
    } else words.push(arg);
  }
  if (words[0] === 'sync') words.shift();
  const every = integer(flags, 'every', 100, 1, Number.MAX_SAFE_INTEGER);
  if (help) return { command: null, every, verbose, help };
  const [word, id, ...extra] = words;
  if (word === undefined) throw new SyncUsageError('Name a command: backfill, replay, upgrade, subscription <sub_...>, customer <cus_...>, events failed, events retry or guests link <file>.');
  const mode = (word === 'events' && (id === 'failed' || id === 'retry')) || (word === 'guests' && id === 'link') ? (`${word}-${id}` as const) : word;
  for (const [flag, flagMode] of Object.entries(FLAGS_OF_MODE)) {
    if (flags.has(flag) && mode !== flagMode) throw new SyncUsageError(`--${flag} applies to ${flagMode.replace('-', ' ')} only.`);
  }
  let command: SyncCommand;
  if (word === 'events') {
    command = eventsCommand(id, extra, flags);
  } else if (word === 'guests') {
    if (id !== 'link') throw new SyncUsageError(`guests needs link${id === undefined ? '' : `, got ${id}`}.`);
    if (extra.length !== 1) throw new SyncUsageError('guests link takes one file of email,accountRef lines (- for standard input).');
    command = { mode: 'guests-link', file: extra[0] };
  } else if (mode === 'upgrade') {
    if (id !== undefined) throw new SyncUsageError(`upgrade takes no id (got ${id}).`);
    command = { mode };
  } else if (mode === 'backfill' || mode === 'replay') {
    if (id !== undefined) throw new SyncUsageError(`${mode} takes no id (got ${id}).`);
    command =
      mode === 'backfill'
        ? { mode, startingAfter: subscriptionCursor(flags.get('starting-after')), concurrency: flags.has('concurrency') ? integer(flags, 'concurrency', 4, 1, 32) : undefined }
        : { mode, days: integer(flags, 'days', 30, 1, 30) };
  } else if (mode === 'subscription' || mode === 'customer') {
    const prefix = mode === 'subscription' ? 'sub_' : 'cus_';
    if (id === undefined || !ID_PATTERNS[mode].test(id)) {
      throw new SyncUsageError(`${mode} needs a Stripe ${mode} id (${prefix}...)${id === undefined ? '' : `, got ${id}`}.`);
    }
    if (extra.length > 0) throw new SyncUsageError(`${mode} takes one id (got ${[id, ...extra].join(' ')}).`);
    command = { mode, id };
  } else {
    throw new SyncUsageError(`Unknown command ${mode}: use backfill, replay, upgrade, subscription <sub_...>, customer <cus_...>, events failed, events retry or guests link <file>.`);
  }
  return { command, every, verbose, help };
}

function eventsCommand(action: string | undefined, ids: string[], flags: Map<string, string>): SyncCommand {
  if (action === 'failed') {
    if (ids.length > 0) throw new SyncUsageError(`events failed takes no ids (got ${ids.join(' ')}).`);
    return { mode: 'events-failed', limit: integer(flags, 'limit', 100, 1, 10_000) };
  }
  if (action === 'retry') {
    const wrong = ids.find((id) => !ID_PATTERNS.event.test(id));
    if (wrong !== undefined) throw new SyncUsageError(`events retry takes Stripe event ids (evt_...), got ${wrong}.`);
    return { mode: 'events-retry', ids: ids.length > 0 ? [...new Set(ids)] : null };
  }
  throw new SyncUsageError(`events needs failed or retry${action === undefined ? '' : `, got ${action}`}.`);
}

function integer(flags: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new SyncUsageError(`--${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`} (got ${text}).`);
  }
  return value;
}

function subscriptionCursor(value: string | undefined): string | undefined {
  if (value !== undefined && !ID_PATTERNS.subscription.test(value)) throw new SyncUsageError(`--starting-after needs a subscription id (sub_...), got ${value}.`);
  return value;
}
