import { ConfigurableModuleBuilder } from '@nestjs/common';
import { LitestripeModuleExtras, LitestripeModuleOptions } from './config/litestripe-options.interface.js';
import { LITESTRIPE_RAW_OPTIONS } from './config/raw-options.token.js';
import { DEFAULT_WEBHOOK_PATH } from './config/resolved-options.js';
import { createWebhookController } from './webhook/webhook.controller.js';

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<LitestripeModuleOptions>({
  moduleName: 'Litestripe',
  optionsInjectionToken: LITESTRIPE_RAW_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setExtras<LitestripeModuleExtras>({ isGlobal: false, webhookPath: DEFAULT_WEBHOOK_PATH }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    // The webhook's path is an option, so its controller is built per registration.
    controllers: [createWebhookController(extras.webhookPath ?? DEFAULT_WEBHOOK_PATH)],
  }))
  .build();
