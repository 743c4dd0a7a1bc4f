import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { SyncProgressRenderer } from './sync-progress.renderer.js';

const QUIET: LogLevel[] = ['fatal', 'error', 'warn'];
const VERBOSE: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug'];

/** Nest's console logger, printing above the progress bar instead of through it. */
export class SyncCliLogger extends ConsoleLogger {
  private progress?: SyncProgressRenderer;

  constructor(verbose: boolean) {
    super({ logLevels: verbose ? VERBOSE : QUIET });
  }

  /** Log lines from now on clear the bar, print, and let it be drawn again. */
  attach(progress: SyncProgressRenderer | undefined): void {
    this.progress = progress;
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    const print = () => super.printMessages(messages, context, logLevel, writeStreamType, errorStack, params);
    if (this.progress) this.progress.suspend(print);
    else print();
  }
}
