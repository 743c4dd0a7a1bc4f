import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { directQuery } from '../common/direct-query.js';
import { LITESTRIPE_ENTITLEMENT_OPTIONS, ResolvedEntitlementOptions } from '../config/entitlement-options.js';
import { LITESTRIPE_USAGE_OPTIONS, metricSettings, ResolvedUsageOptions } from '../config/usage-options.js';
import { PostgresUsageStore } from './postgres-usage.store.js';
import { RedisUsageStore } from './redis-usage.store.js';
import type { UsageStore } from './usage-store.js';

/** The store each metric is counted in (`usage.metrics.<name>.store`). */
@Injectable()
export class UsageStores {
  private readonly postgres: PostgresUsageStore;
  private readonly redis: RedisUsageStore | null;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(LITESTRIPE_USAGE_OPTIONS) private readonly options: ResolvedUsageOptions,
    @Inject(LITESTRIPE_ENTITLEMENT_OPTIONS) entitlement: ResolvedEntitlementOptions,
  ) {
    this.postgres = new PostgresUsageStore(directQuery(dataSource), entitlement.clock);
    this.redis = options.redis ? new RedisUsageStore(options.redis, options.redisKeyPrefix, entitlement.clock) : null;
  }

  of(metric: string): UsageStore {
    return metricSettings(this.options, metric).store === 'redis' ? this.redis! : this.postgres;
  }
}
