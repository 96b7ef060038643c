import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { RESQUE_REDIS } from '../lib/index.js';
import type { OwnedRedis } from '../lib/redis/connection.js';
import { HttpModule } from './http.module.js';
import { assertRedisReachable } from './redis-check.js';

const app = await NestFactory.create(HttpModule);
try {
  await assertRedisReachable(app.get<OwnedRedis>(RESQUE_REDIS).client, process.env.REDIS_URL ? 'REDIS_URL' : 'the default');
} catch (error) {
  console.error(`sample: ${(error as Error).message}`);
  process.exit(1);
}
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port, '127.0.0.1');
console.log(`sample app on http://127.0.0.1:${port}  (POST /users {"name","email"}, GET /jobs/:id, GET /failed, dashboard at /resque)`);
