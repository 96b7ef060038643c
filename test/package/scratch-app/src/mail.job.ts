import { Inject } from '@nestjs/common';
import { Job, RESQUE_REDIS, type ResqueJob } from 'nestjs-resque';
import { AppService } from './app.service.js';

interface Connection {
  readonly client: { rpush(key: string, value: string): Promise<number> };
}

/** Runs in a worker child, with the application's providers injected. */
@Job('mail')
export class MailJob implements ResqueJob<{ to: string }> {
  constructor(
    private readonly app: AppService,
    @Inject(RESQUE_REDIS) private readonly redis: Connection,
  ) {}

  async perform(data: { to: string }): Promise<void> {
    const entry = { to: data.to, hello: this.app.getHello(), pid: process.pid };
    await this.redis.client.rpush(`${process.env.PREFIX}:scratch:sent`, JSON.stringify(entry));
  }
}
