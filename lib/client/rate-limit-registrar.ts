/**
 * Writes `ResqueModule.forRoot({ rateLimits })` to Redis at bootstrap, in every process that boots
 * the module (setting the same limit again changes nothing). A bad limit fails the boot; a Redis
 * that cannot be reached is logged, not fatal: the next boot writes them.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InvalidRateLimitError } from '../errors/invalid-rate-limit.error.js';
import type { ResqueModuleOptions } from '../options/resque-options.js';
import { MODULE_OPTIONS_TOKEN } from '../resque.module-definition.js';
import { QueueService } from './queue.service.js';

@Injectable()
export class RateLimitRegistrar implements OnApplicationBootstrap {
  private readonly logger = new Logger('Resque');

  constructor(@Inject(MODULE_OPTIONS_TOKEN) private readonly options: ResqueModuleOptions, private readonly queues: QueueService) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [queue, limit] of Object.entries(this.options.rateLimits ?? {})) {
      try {
        await this.queues.rateLimits.set(queue, limit);
      } catch (error) {
        if (error instanceof InvalidRateLimitError) throw error;
        this.logger.error(`could not write the rate limit of queue ${JSON.stringify(queue)}: ${(error as Error).message}`);
      }
    }
  }
}
