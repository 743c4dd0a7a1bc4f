import { ConfigurableModuleBuilder } from '@nestjs/common';
import { LitestripeModuleExtras, LitestripeModuleOptions } from './interfaces/litestripe-options.interface';

export const DEFAULT_WEBHOOK_PATH = 'ls/hook';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: LITESTRIPE_RAW_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LitestripeModuleOptions>({ moduleName: 'Litestripe' })
  .setClassMethodName('forRoot')
  .setExtras<LitestripeModuleExtras>({ isGlobal: false, webhookPath: DEFAULT_WEBHOOK_PATH }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
