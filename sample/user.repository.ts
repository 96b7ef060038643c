import { Inject, Injectable } from '@nestjs/common';
import { RESQUE_REDIS } from '../lib/index.js';
import type { OwnedRedis } from '../lib/redis/connection.js';

export interface User {
  readonly name: string;
  readonly email: string;
}

/** Stands in for the application's database: users are saved in a Redis hash beside the queues. */
@Injectable()
export class UserRepository {
  constructor(@Inject(RESQUE_REDIS) private readonly redis: OwnedRedis) {}

  async save(user: User): Promise<void> {
    await this.redis.client.hset('sample:users', user.email, JSON.stringify(user));
  }

  async all(): Promise<User[]> {
    const saved = await this.redis.client.hvals('sample:users');
    return saved.map((json) => JSON.parse(json) as User);
  }
}
