import { Module } from '@nestjs/common';
import { ResqueModule } from 'nestjs-resque';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { MailJob } from './mail.job.js';

@Module({
  imports: [ResqueModule.forRoot({ connection: process.env.REDIS_URL, prefix: process.env.PREFIX, worker: { queues: ['mail'] } })],
  controllers: [AppController],
  providers: [AppService, MailJob],
})
export class AppModule {}
