import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ResqueModuleOptions } from './options/resque-options.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<ResqueModuleOptions>({ moduleName: 'Resque' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
