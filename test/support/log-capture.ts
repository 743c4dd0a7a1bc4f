import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';

/** Test support: collects what Nest's `Logger` writes (used by the e2e tests and the colocated specs). */
export class LogCapture implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];

  /** Routes every Nest `Logger` to this capture until {@link LogCapture.uninstall}. */
  install(): this {
    Logger.overrideLogger(this);
    return this;
  }

  uninstall(): void {
    Logger.overrideLogger(new ConsoleLogger());
  }

  messages(level?: string): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }

  log(message: unknown): void {
    this.record('log', message);
  }
  error(message: unknown): void {
    this.record('error', message);
  }
  warn(message: unknown): void {
    this.record('warn', message);
  }
  debug(message: unknown): void {
    this.record('debug', message);
  }
  verbose(message: unknown): void {
    this.record('verbose', message);
  }
  fatal(message: unknown): void {
    this.record('fatal', message);
  }

  private record(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
}
