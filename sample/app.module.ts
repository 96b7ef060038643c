import { Module } from '@nestjs/common';
import { ResqueModule } from '../lib/index.js';
import { UserJob } from './user.job.js';
import { UserRepository } from './user.repository.js';
import { SignupService } from './signup.service.js';

/** The application: its providers, its jobs, and Resque's connection. The worker boots this same module. */
@Module({
  imports: [
    ResqueModule.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: process.env.PREFIX ?? 'resque',
      worker: { queues: ['UserJobQueue'] },
    }),
  ],
  providers: [UserRepository, SignupService, UserJob],
  exports: [UserRepository, SignupService],
})
export class AppModule {}
