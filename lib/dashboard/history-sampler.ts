import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { QueueService } from '../client/queue.service.js';
import { StatSampler } from '../client/stat-history.js';
import { printable } from '../protocol/printable.js';
import type { ResolvedDashboardOptions } from './dashboard-options.js';
import { DASHBOARD_CONFIG } from './dashboard.tokens.js';

/** Keeps the shared per-minute history going while the app with the dashboard runs (option `history`). */
@Injectable()
export class HistorySampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sampler: StatSampler;
  private readonly logger = new Logger('ResqueDashboard');
  private warned = false;

  constructor(queues: QueueService, @Inject(DASHBOARD_CONFIG) private readonly config: ResolvedDashboardOptions) {
    this.sampler = new StatSampler(queues.client, {
      onError: (error) => {
        if (this.warned) return;
        this.warned = true;
        this.logger.warn(printable(`could not sample the stat history (warned once): ${(error as Error).message}`));
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.history) this.sampler.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sampler.stop();
  }
}
