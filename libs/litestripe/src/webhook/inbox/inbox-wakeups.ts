import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client, ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { LITESTRIPE_OPTIONS, ResolvedLitestripeOptions } from '../../config/resolved-options.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../../config/entitlement-options.js';
import { listenConnectionConfig } from '../../common/listen-connection.js';
import { errorMessage } from '../../common/describe-error.js';
import { InboxApplier } from './inbox.applier.js';
import { INBOX_CHANNEL } from './inbox.repository.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Wakes this instance's applier when another instance's applier took a full batch (more is
 * waiting), by `LISTEN litestripe_inbox` on a connection of its own (`entitlementCache.listenUrl`
 * when given, else the DataSource's server). Deferred mode only; with embedded PGlite there is no
 * other instance to hear from. A lost connection is retried with backoff; the sweep covers the gap.
 */
@Injectable()
export class InboxWakeups implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Litestripe');
  private client: Client | null = null;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retry?: NodeJS.Timeout;

  constructor(
    @Inject(LITESTRIPE_OPTIONS) private readonly options: ResolvedLitestripeOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly entitlement: ResolvedEntitlementOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly applier: InboxApplier,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.webhookProcessing !== 'deferred') return;
    const config = listenConnectionConfig(this.entitlement.cache?.listenUrl, this.dataSource.options, 'litestripe-inbox');
    if (config) await this.listen(config);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async listen(config: ClientConfig): Promise<void> {
    const client = new Client(config);
    this.client = client;
    let lost = false;
    const reconnect = (error: unknown) => {
      if (lost || this.closed) return;
      lost = true;
      this.logger.warn(`The inbox's wake-up connection failed; retrying in ${this.retryMs} ms (the sweep applies the inbox meanwhile): ${errorMessage(error)}`);
      void client.end().catch(() => undefined);
      this.retry = setTimeout(() => void this.listen(config), this.retryMs);
      this.retry.unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    };
    client.on('notification', () => this.applier.wake());
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${INBOX_CHANNEL}`);
      this.retryMs = RETRY_MIN_MS;
      // Whatever was announced while not listening.
      this.applier.wake();
    } catch (error) {
      reconnect(error);
    }
  }
}
