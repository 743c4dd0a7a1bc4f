import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventEmitter, once } from 'node:events';
import { Client, ClientConfig } from 'pg';
import { DataSource } from 'typeorm';
import { monotonicMs } from '../common/clock.js';
import { errorMessage } from '../common/describe-error.js';
import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { SUBSCRIPTION_CHANGES_CHANNEL, SubscriptionRowChanges } from '../common/subscription-row-changes.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { EntitlementCache } from './entitlement.cache.js';
import { listenConnectionConfig } from '../common/listen-connection.js';

/** How often the listen connection is asked `SELECT 1`, and how long an answer vouches for it. */
const HEARTBEAT_MS = 1000;
const TRUST_MS = 3 * HEARTBEAT_MS;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

export type ListenState = 'listening' | 'lost';

/**
 * Keeps the entitlement cache coherent with every instance's writes: `LISTEN
 * litestripe_subscription_changed` on a connection of its own (a pooled connection cannot hold a
 * LISTEN), relayed to `SubscriptionRowChanges`. A heartbeat answered at time t proves every change
 * committed before t was received, so the cache is trusted for `TRUST_MS` past the last answered
 * heartbeat. When the connection fails, or stops answering, the cache is emptied and bypassed until
 * a new connection listens again (retried with backoff). With embedded PGlite (no connection to
 * listen on) one process makes every change, and the writer's own announcements suffice.
 */
@Injectable()
export class SubscriptionChangesListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Litestripe');
  private readonly states = new EventEmitter();
  private config: ClientConfig | null = null;
  private client?: Client;
  private listening = false;
  private closed = false;
  private beating = false;
  private retryMs = RETRY_MIN_MS;
  private heartbeat?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private outageReported = false;

  constructor(
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) private readonly options: ResolvedEntitlementOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: EntitlementCache,
    private readonly changes: SubscriptionRowChanges,
  ) {}

  /** The PostgreSQL backend pid of the listen connection while it listens (for operators and tests). */
  get backendPid(): number | null {
    return this.listening ? ((this.client as unknown as { processID: number | null })?.processID ?? null) : null;
  }

  /** Resolves at the next change of state: `listening` (again) or `lost`. */
  async next(state: ListenState): Promise<void> {
    await once(this.states, state);
  }

  /**
   * Resolves once every change committed before the call has been received: PostgreSQL sends a
   * listening session's pending notifications before it answers the session's next query. Renews
   * the cache's trust as a heartbeat does. At once when not listening (the cache is bypassed then).
   */
  async caughtUp(): Promise<void> {
    const client = this.client;
    if (client && this.listening) await this.roundTrip(client);
  }

  async onModuleInit(): Promise<void> {
    const cache = this.options.cache;
    if (!cache) return;
    this.config = cache.invalidation === 'in-process' ? null : listenConnectionConfig(cache.listenUrl, this.dataSource.options);
    if (!this.config && cache.invalidation === 'listen') {
      throw new LitestripeConfigError(
        'entitlementCache.invalidation',
        "is 'listen', but the DataSource has no PostgreSQL server to listen on (a custom driver, such as embedded PGlite)",
        "Give entitlementCache.listenUrl, or use 'in-process' with a single instance.",
      );
    }
    if (!this.config) {
      this.cache.trustUntil(Infinity);
      this.logger.log('Entitlement cache: invalidated in this process only (embedded database, or entitlementCache.invalidation "in-process"); run one instance, or give entitlementCache.listenUrl.');
      return;
    }
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS).unref();
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ ...this.config, connectionTimeoutMillis: this.config?.connectionTimeoutMillis ?? 5000, query_timeout: TRUST_MS - HEARTBEAT_MS });
    this.client = client;
    client.on('notification', ({ channel, payload }) => {
      if (channel === SUBSCRIPTION_CHANGES_CHANNEL) this.changes.announce(payload ? { accountRefs: [payload] } : { everyAccount: true });
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      const sentAt = monotonicMs();
      await client.connect();
      await client.query(`LISTEN "${SUBSCRIPTION_CHANGES_CHANNEL}"`);
      // Without the trigger nothing is ever announced: a cache would never learn of other instances' writes.
      const trigger = await client.query('SELECT 1 FROM pg_trigger WHERE tgname = $1', [SUBSCRIPTION_CHANGES_CHANNEL]);
      if (trigger.rowCount === 0) throw new Error(`the trigger ${SUBSCRIPTION_CHANGES_CHANNEL} is missing: run LITESTRIPE_MIGRATIONS (LitestripeSubscriptionChanges1764500000000)`);
      if (this.client !== client) return;
      this.listening = true;
      this.retryMs = RETRY_MIN_MS;
      this.cache.resume(sentAt + TRUST_MS);
      if (this.outageReported) this.logger.log('Entitlement cache: listening for changes again; caching resumed.');
      this.outageReported = false;
      this.states.emit('listening');
    } catch (error) {
      this.lost(client, error);
    }
  }

  private async beat(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening || this.beating) return;
    this.beating = true;
    await this.roundTrip(client);
    this.beating = false;
  }

  /** An answered query vouches for the connection up to when it was sent (see the class comment). */
  private async roundTrip(client: Client): Promise<void> {
    const sentAt = monotonicMs();
    try {
      await client.query('SELECT 1');
      if (this.client === client) this.cache.trustUntil(sentAt + TRUST_MS);
    } catch (error) {
      this.lost(client, error);
    }
  }

  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.cache.distrust();
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.closed) return;
    if (!this.outageReported) {
      this.logger.warn(`Entitlement cache: cannot listen for changes (${errorMessage(error)}); every lookup reads the database until it listens again.`);
      this.outageReported = true;
    }
    this.states.emit('lost');
    this.retry = setTimeout(() => void this.connect(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
