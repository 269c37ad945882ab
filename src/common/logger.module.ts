import { Global, Module } from '@nestjs/common';
import type { Logger } from './logger.js';

export const LOGGER = Symbol('Logger');

@Global()
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger) {
    return { module: LoggerModule, providers: [{ provide: LOGGER, useValue: logger }], exports: [LOGGER] };
  }
}
