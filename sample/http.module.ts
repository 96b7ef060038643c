import { Module } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { UsersController } from './users.controller.js';

/** The HTTP face of the sample; the worker boots AppModule alone, without controllers. */
@Module({ imports: [AppModule], controllers: [UsersController] })
export class HttpModule {}
