import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { HttpModule } from './http.module.js';

const app = await NestFactory.create(HttpModule);
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, '127.0.0.1');
console.log(`sample app on http://127.0.0.1:${port}  (POST /users {"name","email"}, GET /jobs/:id, GET /failed)`);
