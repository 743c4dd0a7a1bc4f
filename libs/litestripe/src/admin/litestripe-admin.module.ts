import { DynamicModule, Module } from '@nestjs/common';
import type { LitestripeAdminOptions } from './admin-options.interface.js';
import { resolveAdminOptions } from './admin-options.js';
import { AdminRequestGuard } from './admin-request.guard.js';
import { createAdminController } from './admin.controller.js';
import { LITESTRIPE_ADMIN_OPTIONS } from './admin.tokens.js';

/**
 * The operator's view: lookup of an account, customer or subscription (entitlement and why, rows,
 * timeline of events), the event log with replay, the outbox and inbox with retry, orphaned payments
 * and guest purchases with claims, and a sync from Stripe; as HTML pages and a JSON API. Opt-in, at
 * the path you choose, and closed unless you give it your guard.
 *
 * @example
 * imports: [
 *   LitestripeModule.forRoot({ ... }),
 *   LitestripeAdminModule.forRoot({ path: 'ops/billing', guard: StaffGuard, imports: [AuthModule] }),
 * ]
 */
@Module({})
export class LitestripeAdminModule {
  static forRoot(options: LitestripeAdminOptions): DynamicModule {
    const resolved = resolveAdminOptions(options);
    return {
      module: LitestripeAdminModule,
      imports: resolved.imports,
      controllers: [createAdminController(resolved.path, resolved.guards)],
      providers: [{ provide: LITESTRIPE_ADMIN_OPTIONS, useValue: resolved }, AdminRequestGuard],
    };
  }
}
