import { Job, type ResqueJob } from '../../../lib/index.js';

/** Fails while `flaky.failing` is set, and records the data of each run that succeeded. */
export const flaky = { failing: true, succeeded: [] as unknown[] };

@Job({ queue: 'dash', name: 'DashboardFlakyJob' })
export class FlakyJob implements ResqueJob {
  async perform(data: unknown): Promise<void> {
    if (flaky.failing) throw new Error(`flaky failure for ${JSON.stringify(data)}`);
    flaky.succeeded.push(data);
  }
}
