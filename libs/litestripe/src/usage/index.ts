// Usage limits and metered billing: the public API; re-exported by the package's index.
export { UsageService } from './usage.service.js';
export type { RecordUsageOptions, RecordedUsage, ConsumeUsageOptions, UsageConsumption } from './usage.service.js';
export type { UsageCheck } from './usage-check.js';
export type { UsageAllowance } from './usage-allowance.js';
export type { UsagePeriod } from './usage-period.js';
export type { UsageSubject } from './usage-subject.js';
export { UsageLimit } from './usage-limit.decorator.js';
export type { UsageLimitOptions } from './usage-limit.decorator.js';
export { UsageLimitExceededException, type ExceededUsage } from '../errors/usage-limit-exceeded.exception.js';
export type { UsageOptions, UsageMetricOptions, UsagePeriodKind, UsageRedisClient, MeterReportingOptions } from '../config/usage-options.interface.js';
