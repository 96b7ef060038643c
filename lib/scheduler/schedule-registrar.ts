/**
 * Writes the recurring schedules declared with `@Job({ schedule })` to Redis at bootstrap, in
 * every process that boots the module (the app and each worker child): the same definition set
 * again changes nothing, so this is idempotent. A Redis that cannot be reached is logged, not
 * fatal: the next boot writes them.
 */
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueService } from '../client/queue.service.js';
import { JobRegistry } from '../discovery/job.registry.js';

@Injectable()
export class ScheduleRegistrar implements OnApplicationBootstrap {
  private readonly logger = new Logger('Resque');

  constructor(private readonly registry: JobRegistry, private readonly queues: QueueService) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const job of this.registry.all()) {
      for (const schedule of job.metadata.schedules) {
        try {
          await this.queues.schedules.set(schedule.name, { ...schedule, queue: job.queue, className: job.className });
        } catch (error) {
          this.logger.error(`could not write schedule "${schedule.name}" of ${job.className}: ${(error as Error).message}`);
        }
      }
    }
  }
}
