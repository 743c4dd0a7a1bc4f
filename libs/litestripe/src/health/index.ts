/**
 * `@litestripe/nestjs/health`: a `@nestjs/terminus` health indicator for litestripe. The only entry
 * that imports `@nestjs/terminus`, so hosts without it can use the rest of the package.
 *
 * @packageDocumentation
 */

export { LitestripeHealthModule } from './litestripe-health.module.js';
export { LitestripeHealthIndicator } from './litestripe-health.indicator.js';
export type { LitestripeHealthThresholds, LitestripeQueueThresholds } from './health-thresholds.interface.js';
