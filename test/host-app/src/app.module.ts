import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LITESTRIPE_MIGRATIONS, LitestripeModule, litestripeOptionsFromEnv, SubscriptionGuard } from '@litestripe/nestjs';
import { BillingEventsListener } from './billing-events.listener.js';
import { HeaderAuthGuard } from './header-auth.guard.js';
import { PremiumController } from './premium.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'postgres',
        url: config.getOrThrow<string>('DATABASE_URL'),
        autoLoadEntities: true,
        migrations: [...LITESTRIPE_MIGRATIONS],
        migrationsRun: true,
      }),
    }),
    EventEmitterModule.forRoot({ wildcard: true }),
    LitestripeModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        litestripeOptionsFromEnv(config, {
          plans: { pro: { name: 'Pro', lookupKeys: ['host_pro_monthly'], features: ['export'] } },
        }),
    }),
  ],
  controllers: [PremiumController],
  providers: [
    BillingEventsListener,
    { provide: APP_GUARD, useClass: HeaderAuthGuard },
    { provide: APP_GUARD, useClass: SubscriptionGuard },
  ],
})
export class AppModule {}
