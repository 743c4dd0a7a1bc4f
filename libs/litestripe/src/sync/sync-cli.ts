import type { DynamicModule, INestApplicationContext, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SyncUsageError } from '../errors/sync-usage.error.js';
import { parseSyncArgs, SYNC_USAGE, type SyncCliArgs, type SyncCommand } from './sync-cli.args.js';
import { SyncCliLogger } from './sync-cli.logger.js';
import { stopOnSignals, type SignalSource } from './sync-cli.signals.js';
import type { SyncProgress } from './sync-options.interface.js';
import { SyncProgressRenderer, type OutputStream } from './sync-progress.renderer.js';
import { resolveSyncService } from './sync-service.resolver.js';
import { isInboxCommand, runInboxCommand } from './inbox-cli.js';
import { isGuestsCommand, runGuestsCommand } from './guests-cli.js';
import type { SubscriptionSyncService } from './subscription-sync.service.js';
import type { SyncSummary } from './sync-summary.js';
import { renderSyncSummary } from './sync-summary.table.js';
import { errorMessage } from '../common/describe-error.js';

/** Exit codes of {@link runLitestripeSync}. */
export const SYNC_EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export interface RunLitestripeSyncOptions {
  /** Progress and the summary. On a terminal (`isTTY`) the progress is a bar redrawn in place. @default process.stdout */
  stdout?: OutputStream;
  /** Usage and start-up errors. @default process.stderr */
  stderr?: OutputStream;
  /** Stops the run as Ctrl-C does. */
  signal?: AbortSignal;
  /** Stop on SIGINT and SIGTERM (a second one quits at once, exit code 130). @default true */
  handleSignals?: boolean;
  /** Where SIGINT and SIGTERM come from. @default process */
  signalSource?: SignalSource;
  /** The application context's logger. @default Nest's console logger, warnings and errors (all with `--verbose`), printed above the bar */
  logger?: LoggerService;
  /**
   * Called once the application context has started, before the sync: to prepare something the
   * app provides (the demo seeds its sandbox's fake Stripe here). May return a command to run instead.
   */
  beforeRun?: (app: INestApplicationContext, command: SyncCommand) => SyncCommand | void | Promise<SyncCommand | void>;
}

/**
 * The reconcile command of a host app: boots `appModule` as a standalone application context (no
 * HTTP server), runs `sync <backfill|replay|upgrade|subscription <id>|customer <id>>` through its
 * `LitestripeModule`, prints progress and a summary, closes the context and resolves with the exit
 * code (0 ok, 1 failures, 2 usage, 130 interrupted). It does not call `process.exit`.
 *
 * @example
 * // src/cli.ts of the host app
 * runLitestripeSync(AppModule, process.argv.slice(2)).then((code) => (process.exitCode = code));
 */
export async function runLitestripeSync(appModule: Type<unknown> | DynamicModule, argv: readonly string[], options: RunLitestripeSyncOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let args: SyncCliArgs;
  try {
    args = parseSyncArgs(argv);
  } catch (error) {
    if (!(error instanceof SyncUsageError)) throw error;
    stderr.write(`${error.message}\n\n${SYNC_USAGE}`);
    return SYNC_EXIT.usage;
  }
  if (args.help || !args.command) {
    stdout.write(SYNC_USAGE);
    return SYNC_EXIT.ok;
  }
  let command = args.command;

  const cliLogger = options.logger ? undefined : new SyncCliLogger(args.verbose);
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(appModule, { logger: options.logger ?? cliLogger, abortOnError: false });
  } catch (error) {
    stderr.write(`Could not start the application: ${errorMessage(error)}\n`);
    return SYNC_EXIT.failed;
  }

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const removeSignalListeners =
    options.handleSignals === false
      ? () => undefined
      : stopOnSignals(
          controller,
          {
            onStopping: () => stderr.write('\nStopping after the items in flight (Ctrl-C again to quit at once)...\n'),
            forceExit: () => process.exit(SYNC_EXIT.interrupted),
          },
          options.signalSource,
        );
  let progress: SyncProgressRenderer | undefined;
  try {
    command = (await options.beforeRun?.(app, command)) ?? command;
    if (isInboxCommand(command)) return await runInboxCommand(app, command, stdout);
    if (isGuestsCommand(command)) return await runGuestsCommand(app, command, stdout);
    const service = resolveSyncService(app);
    progress = new SyncProgressRenderer(stdout, title(command), { every: args.every });
    cliLogger?.attach(progress);
    const startedAt = performance.now();
    const summary = await run(service, command, { signal: controller.signal, onProgress: (state) => progress?.update(state) });
    progress.finish();
    cliLogger?.attach(undefined);
    stdout.write(renderSyncSummary(title(command), summary, performance.now() - startedAt, resumeCommand(command, summary)));
    return exitCode(summary);
  } catch (error) {
    progress?.finish();
    cliLogger?.attach(undefined);
    stderr.write(`${title(command)} failed: ${errorMessage(error)}\n`);
    return SYNC_EXIT.failed;
  } finally {
    removeSignalListeners();
    options.signal?.removeEventListener('abort', onOuterAbort);
    await app.close();
  }
}

function run(service: SubscriptionSyncService, command: Exclude<SyncCommand, { mode: 'events-failed' | 'events-retry' | 'guests-link' }>, options: { signal: AbortSignal; onProgress: (progress: SyncProgress) => void }): Promise<SyncSummary> {
  switch (command.mode) {
    case 'backfill':
      return service.backfill({ ...options, startingAfter: command.startingAfter, concurrency: command.concurrency });
    case 'replay':
      return service.replayUndelivered({ ...options, days: command.days });
    case 'subscription':
      return service.syncSubscription(command.id, options);
    case 'customer':
      return service.syncCustomer(command.id, options);
    case 'upgrade':
      return service.upgradeRows(options);
  }
}

function title(command: SyncCommand): string {
  switch (command.mode) {
    case 'backfill':
      return 'sync backfill';
    case 'replay':
      return `sync replay (last ${command.days} days)`;
    case 'upgrade':
      return 'sync upgrade';
    case 'events-failed':
    case 'events-retry':
    case 'guests-link':
      return `sync ${command.mode.replace('-', ' ')}`;
    default:
      return `sync ${command.mode} ${command.id}`;
  }
}

function resumeCommand(command: SyncCommand, summary: SyncSummary): string | undefined {
  return command.mode === 'backfill' && summary.lastId ? `sync backfill --starting-after ${summary.lastId}` : undefined;
}

function exitCode(summary: SyncSummary): number {
  if (summary.stopReason === 'aborted') return SYNC_EXIT.interrupted;
  return summary.failed > 0 || summary.stopReason === 'list-failed' ? SYNC_EXIT.failed : SYNC_EXIT.ok;
}
