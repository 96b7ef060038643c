import { Logger } from '@nestjs/common';
import { Job, type JobContext, type ResqueJob } from '../lib/index.js';
import { UserRepository, type User } from './user.repository.js';

/** The seed's job: `Resque::enqueue('UserJobQueue', 'UserJob', ['name' => ..., 'email' => ...], true)`. */
@Job('UserJobQueue')
export class UserJob implements ResqueJob<User> {
  private readonly logger = new Logger(UserJob.name);

  constructor(private readonly users: UserRepository) {}

  async perform(user: User, context: JobContext): Promise<void> {
    if (typeof user?.email !== 'string' || !user.email.includes('@')) {
      this.logger.error(`job ${context.id}: cannot save ${JSON.stringify(user)}: invalid email`);
      throw new Error(`Invalid email address: ${JSON.stringify(user?.email)}`);
    }
    await this.users.save(user);
    this.logger.log(`job ${context.id}: saved user ${user.name} <${user.email}> (worker pid ${process.pid})`);
  }
}
