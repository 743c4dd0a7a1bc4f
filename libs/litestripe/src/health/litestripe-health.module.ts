import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LitestripeHealthIndicator } from './litestripe-health.indicator.js';

/**
 * Provides `LitestripeHealthIndicator` for a host's own health endpoint. Import it in the module of
 * your health controller, next to `TerminusModule`; `LitestripeModule` must be registered in the
 * same application (start-up fails, saying so, when it is not).
 */
@Module({
  // TerminusModule provides the HealthIndicatorService the indicator builds its results with.
  imports: [TerminusModule],
  providers: [LitestripeHealthIndicator],
  exports: [LitestripeHealthIndicator],
})
export class LitestripeHealthModule {}
