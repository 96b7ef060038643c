import { Injectable } from '@nestjs/common';
import { InjectQueue, QueueHandle } from '../lib/index.js';
import type { User } from './user.repository.js';

/** Enqueues through a handle bound to one queue, as an application service would. */
@Injectable()
export class SignupService {
  constructor(@InjectQueue('UserJobQueue') private readonly queue: QueueHandle) {}

  /** Returns the job id; `true` tracks its status (php-resque's 4th argument). */
  register(user: User): Promise<string | null> {
    return this.queue.enqueue('UserJob', user, true);
  }
}
