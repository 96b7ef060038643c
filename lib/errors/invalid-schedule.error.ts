import { ResqueError } from './resque.error.js';

/** A recurring schedule that cannot be used: bad cron expression, time zone, interval or name. */
export class InvalidScheduleError extends ResqueError {
  override name = 'InvalidScheduleError';
  constructor(readonly schedule: string, readonly problem: string) {
    super(`schedule ${JSON.stringify(schedule.slice(0, 200))}: ${problem}`);
  }
}
