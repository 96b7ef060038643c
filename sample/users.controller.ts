import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { QueueService } from '../lib/index.js';
import { SignupService } from './signup.service.js';
import { UserRepository, type User } from './user.repository.js';

@Controller()
export class UsersController {
  constructor(
    private readonly signups: SignupService,
    private readonly queues: QueueService,
    private readonly users: UserRepository,
  ) {}

  /** POST /users {"name","email"} -> {"id"}: the job is queued; a worker saves the user. */
  @Post('users')
  async create(@Body() user: User): Promise<{ id: string | null }> {
    return { id: await this.signups.register(user) };
  }

  @Get('users')
  list(): Promise<User[]> {
    return this.users.all();
  }

  /** php-resque's status: 1 waiting, 2 running, 3 failed, 4 complete. */
  @Get('jobs/:id')
  async status(@Param('id') id: string) {
    return (await this.queues.status(id)) ?? { status: null };
  }

  @Get('failed')
  failed() {
    return this.queues.failed(0, 20);
  }
}
