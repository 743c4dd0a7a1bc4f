import { DynamicModule, ForwardReference, INestApplication, LoggerService, Module, Provider, Type } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { EventRecorder } from './event-recorder';
import { Adapter } from './test-app';
import { testDatabaseUrl, trackEntitlementCache, truncateTables, typeOrmOptions } from './test-database';

/**
 * Boots a host module around a `LitestripeModule` registration the test builds itself (to test
 * boot failures and module options). Data sources are tracked, so that a boot which fails after
 * TypeORM connected leaves no open pool behind: call {@link closeOpenedDataSources} after each test.
 */

type Import = Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference;

export interface HostOptions {
  /** Register `EventEmitterModule.forRoot()` in the host. @default true */
  eventEmitter?: boolean;
  imports?: Import[];
  providers?: Provider[];
  logger?: LoggerService;
}

const opened: Promise<DataSource>[] = [];

function trackedTypeOrm(url: string): DynamicModule {
  return TypeOrmModule.forRootAsync({
    useFactory: () => ({ ...typeOrmOptions(url), entities: [], autoLoadEntities: true }),
    dataSourceFactory: async (options?: DataSourceOptions) => {
      const initialised = new DataSource(options!).initialize();
      opened.push(initialised);
      return initialised;
    },
  });
}

/** Destroys every data source a host opened that is still open (after a failed boot, Nest closes nothing). */
export async function closeOpenedDataSources(): Promise<void> {
  const sources = await Promise.allSettled(opened.splice(0));
  for (const result of sources) {
    if (result.status === 'fulfilled' && result.value.isInitialized) await result.value.destroy();
  }
}

export async function compileHost(litestripe: DynamicModule, options: HostOptions = {}): Promise<TestingModule> {
  const url = await testDatabaseUrl();

  @Module({
    imports: [trackedTypeOrm(url), ...(options.eventEmitter === false ? [] : [EventEmitterModule.forRoot({ wildcard: true })]), litestripe, ...(options.imports ?? [])],
    providers: options.providers ?? [],
  })
  class HostModule {}

  const builder = Test.createTestingModule({ imports: [HostModule] });
  if (options.logger) builder.setLogger(options.logger);
  return builder.compile();
}

/**
 * Boots a host with the module (compile, `init`) and closes it again: resolves when the app starts,
 * rejects with what stopped start-up. `configure` runs before `init` (e.g. a WebSocket adapter).
 */
export async function bootAndClose(litestripe: DynamicModule, options: HostOptions & { configure?: (app: INestApplication) => void } = {}): Promise<void> {
  const moduleRef = await compileHost(litestripe, options);
  const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
  options.configure?.(app);
  try {
    await app.init();
  } finally {
    await app.close().catch(() => undefined);
  }
}

export interface HostApp {
  app: INestApplication;
  dataSource: DataSource;
  recorder: EventRecorder;
  close(): Promise<void>;
}

/** A listening app with raw bodies enabled around `litestripe`, its tables emptied. */
export async function createHostApp(litestripe: DynamicModule, adapter: Adapter = 'express', options: HostOptions = {}): Promise<HostApp> {
  const moduleRef = await compileHost(litestripe, { ...options, providers: [...(options.providers ?? []), EventRecorder] });
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { rawBody: true, logger: false })
      : moduleRef.createNestApplication<NestExpressApplication>({ rawBody: true, logger: false });
  await app.init();
  if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  await app.listen(0, '127.0.0.1');
  const dataSource = app.get(DataSource);
  trackEntitlementCache(app);
  await truncateTables(dataSource);
  return { app, dataSource, recorder: app.get(EventRecorder), close: () => app.close() };
}

/** A logger that keeps every line, to check that nothing secret is logged. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(...args: unknown[]): void {
    this.keep(args);
  }
  error(...args: unknown[]): void {
    this.keep(args);
  }
  warn(...args: unknown[]): void {
    this.keep(args);
  }
  debug(...args: unknown[]): void {
    this.keep(args);
  }
  verbose(...args: unknown[]): void {
    this.keep(args);
  }
  fatal(...args: unknown[]): void {
    this.keep(args);
  }
  text(): string {
    return this.lines.join('\n');
  }
  private keep(args: unknown[]): void {
    this.lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  }
}
