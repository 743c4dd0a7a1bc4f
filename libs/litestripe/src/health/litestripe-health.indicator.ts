import { Injectable, OnModuleInit, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { errorMessage } from '../common/describe-error.js';
import { OutboxService } from '../events/outbox/outbox.service.js';
import { InboxStatus, WebhookInboxService } from '../webhook/inbox/webhook-inbox.service.js';
import { LitestripeHealthThresholds, LitestripeQueueThresholds } from './health-thresholds.interface.js';
import type { QueueStatus } from '../common/queue-status.js';
import { resolveHealthThresholds } from './health-thresholds.js';
import { queueHealth } from './queue-health.js';

/**
 * A `@nestjs/terminus` health indicator for litestripe: the database answers, and the outbox and
 * the webhook inbox keep up and hold no failures, within thresholds. Its result holds counts,
 * durations and limits only: no ids, emails or payloads. Provided by `LitestripeHealthModule`.
 *
 * @example
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * health() {
 *   return this.health.check([() => this.litestripe.check('litestripe', { outbox: { maxFailed: 5 } })]);
 * }
 * ```
 */
@Injectable()
export class LitestripeHealthIndicator implements OnModuleInit {
  private outbox: OutboxService;
  private inbox: WebhookInboxService;

  /** @internal */
  constructor(
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Finds LitestripeModule's services once every module is built; start-up fails when there are none. */
  onModuleInit(): void {
    this.outbox = this.litestripeService(OutboxService);
    this.inbox = this.litestripeService(WebhookInboxService);
  }

  /**
   * Up when the database answers `SELECT 1` within `thresholds.timeoutMs`, and neither the outbox
   * nor the inbox is past its lag or failed limit (nor the inbox full, its webhook answering 503),
   * nor the outbox's backlog at any broker (option `brokers`, under `brokers`, on the outbox's limits).
   * Down otherwise, with `message` saying which check failed and by how much, and each part's
   * numbers beside it. Thresholds that are not valid throw, naming the field.
   */
  async check<const Key extends string = 'litestripe'>(key: Key = 'litestripe' as Key, thresholds?: LitestripeHealthThresholds): Promise<HealthIndicatorResult<Key>> {
    const limits = resolveHealthThresholds(thresholds);
    const session = this.indicators.check(key);
    const database = await this.pingDatabase(limits.timeoutMs);
    // Without a database the status reads could only wait for the same failure.
    if (database.status === 'down') return session.down({ message: `database: ${database.message}`, database });

    const brokerNames = this.outbox.destinations.slice(1);
    const [outboxStatus, inboxStatus, ...brokerStatuses] = await Promise.all([
      within(this.outbox.status(), limits.timeoutMs),
      within(this.inbox.status(), limits.timeoutMs),
      ...brokerNames.map((name) => within(this.outbox.status(name), limits.timeoutMs)),
    ]);
    const outbox = readHealth(outboxStatus, limits.outbox);
    const inbox = readHealth(inboxStatus, limits.inbox, inboxFull);
    // Each broker's backlog in the outbox, against the outbox's thresholds.
    const brokers = brokerNames.map((name, i) => [name, readHealth(brokerStatuses[i], limits.outbox)] as const);
    const problems = [outbox.message && `outbox: ${outbox.message}`, inbox.message && `inbox: ${inbox.message}`, ...brokers.map(([name, health]) => health.message && `broker ${name}: ${health.message}`)].filter(Boolean);
    const details = { database, outbox, inbox, ...(brokers.length > 0 ? { brokers: Object.fromEntries(brokers) } : {}) };
    if (problems.length === 0) return session.up(details);
    return session.down({ message: problems.join('; '), ...details });
  }

  private async pingDatabase(timeoutMs: number): Promise<{ status: 'up'; responseTimeMs: number } | { status: 'down'; message: string }> {
    const started = performance.now();
    const answer = await within<unknown>(this.dataSource.query('SELECT 1'), timeoutMs);
    if (answer && typeof answer === 'object' && 'error' in answer) return { status: 'down', message: `unreachable: ${answer.error}` };
    return { status: 'up', responseTimeMs: Math.round(performance.now() - started) };
  }

  /**
   * LitestripeModule is not global unless the host asks, so its services are looked up in the
   * whole application rather than injected (terminus's TypeOrmHealthIndicator finds its DataSource
   * the same way).
   */
  private litestripeService<T>(type: Type<T>): T {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new Error(`LitestripeHealthModule found no ${type.name}: register LitestripeModule.forRoot() or forRootAsync() in the same application.`);
    }
  }
}

/** A queue's part of the result from its status read: down with the read's error, else its status against its limits. */
function readHealth<Status extends QueueStatus>(answer: Status | { error: string }, limits: Required<LitestripeQueueThresholds>, refusing?: (status: Status) => string | undefined) {
  return 'error' in answer ? { status: 'down' as const, message: answer.error } : queueHealth(answer, limits, refusing?.(answer));
}

/** Why the inbox refuses deliveries, if it does: past `inbox.maxDepth` its webhook answers 503. */
function inboxFull(inbox: InboxStatus): string | undefined {
  if (inbox.webhookProcessing !== 'deferred' || inbox.depth < inbox.maxDepth) return undefined;
  return `full (inbox.maxDepth ${inbox.maxDepth}): the webhook answers 503 until it drains`;
}

/** The answer of `work`, or why there was none: its error, or no answer within `ms`. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ error: string }>((resolve) => (timer = setTimeout(() => resolve({ error: `no answer within ${ms} ms` }), ms)));
  try {
    return await Promise.race([work.catch((error: unknown) => ({ error: errorMessage(error) })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
