import { Body, Controller, Get, Post } from '@nestjs/common';
import { InjectQueue, QueueHandle } from 'nestjs-resque';
import { AppService } from './app.service.js';

@Controller()
export class AppController {
  constructor(
    private readonly appService: AppService,
    @InjectQueue('mail') private readonly mail: QueueHandle,
  ) {}

  @Get()
  getHello(): string {
    return this.appService.getHello();
  }

  @Post('mail')
  async send(@Body() body: { to: string }): Promise<{ id: string | null }> {
    return { id: await this.mail.enqueue('MailJob', body, true) };
  }
}
