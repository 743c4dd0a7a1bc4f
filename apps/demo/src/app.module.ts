import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LitestripeModule, litestripeOptionsFromEnv, StripeSubscription } from '@litestripe/nestjs';
import { BillingEventsListener } from './billing-events.listener';
import { databaseOptions } from './database.config';
import { PremiumController } from './premium.controller';
import { PremiumGuard } from './premium.guard';

@Module({
  imports: [
    // First: it loads .env into process.env, which databaseOptions() below reads.
    ConfigModule.forRoot(),
    TypeOrmModule.forRoot(databaseOptions()),
    TypeOrmModule.forFeature([StripeSubscription]),
    EventEmitterModule.forRoot({ wildcard: true }),
    LitestripeModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => litestripeOptionsFromEnv(config),
    }),
  ],
  controllers: [PremiumController],
  providers: [BillingEventsListener, PremiumGuard],
})
export class AppModule {}
