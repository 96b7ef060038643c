/**
 * `@InjectQueue(name)` works whatever the order in which files are evaluated: a feature module
 * evaluated after the module that calls `ResqueModule.forRoot` (ESM evaluates an imported shared
 * module first) still gets its handle, and a token nobody provides says how to provide it.
 */
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { getQueueToken, InjectQueue, QueueHandle, ResqueModule } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

let server: RedisServer;
// Each test passes its own client, closed at the end whatever happened: a module that fails to
// compile never closes the connections it created, and one left open would keep the file alive.
const clients: Redis[] = [];
function client(): Redis {
  const redis = new Redis(server.url);
  clients.push(redis);
  return redis;
}
before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  for (const redis of clients) redis.disconnect();
  await server.destroy();
});

test('a feature module evaluated after forRoot gets its @InjectQueue handle', async () => {
  // The shared module is evaluated first: forRoot runs before the feature's decorator below.
  const root = ResqueModule.forRoot({ connection: client(), prefix: uniquePrefix('late') });
  @Module({ imports: [root], exports: [root] })
  class SharedModule {}

  @Injectable()
  class MailService {
    constructor(@InjectQueue('mail-evaluated-late') readonly queue: QueueHandle) {}
  }
  @Module({ imports: [SharedModule], providers: [MailService] })
  class MailModule {}

  const app = await Test.createTestingModule({ imports: [SharedModule, MailModule] }).compile();
  await app.init();
  try {
    const mail = app.get(MailService);
    assert.equal(mail.queue.name, 'mail-evaluated-late');
    assert.ok(await mail.queue.enqueue('SendMail', { to: 'a@example.com' }));
    assert.equal(await mail.queue.size(), 1);
  } finally {
    await app.close();
  }
});

test('a feature module evaluated before forRoot gets its @InjectQueue handle', async () => {
  @Injectable()
  class MailService {
    constructor(@InjectQueue('mail-evaluated-early') readonly queue: QueueHandle) {}
  }
  @Module({ providers: [MailService] })
  class MailModule {}
  const root = ResqueModule.forRoot({ connection: client(), prefix: uniquePrefix('early') });

  const app = await Test.createTestingModule({ imports: [root, MailModule] }).compile();
  await app.init();
  try {
    assert.equal(app.get(MailService).queue.name, 'mail-evaluated-early');
  } finally {
    await app.close();
  }
});

test('forRootAsync also provides handles injected after it was called', async () => {
  const root = ResqueModule.forRootAsync({ useFactory: () => ({ connection: client(), prefix: uniquePrefix('async') }) });
  @Injectable()
  class Reports {
    constructor(@InjectQueue('reports-evaluated-late') readonly queue: QueueHandle) {}
  }
  const app = await Test.createTestingModule({ imports: [root], providers: [Reports] }).compile();
  await app.init();
  try {
    assert.equal(app.get(Reports).queue.name, 'reports-evaluated-late');
  } finally {
    await app.close();
  }
});

test('a queue token nobody provides fails with an error naming registerQueue', async () => {
  @Injectable()
  class Billing {
    constructor(@Inject(getQueueToken('billing-unregistered')) readonly queue: QueueHandle) {}
  }
  const builder = Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: client(), prefix: uniquePrefix('missing') })],
    providers: [Billing],
  });
  await assert.rejects(builder.compile(), (error: Error) => {
    assert.match(error.message, /ResqueModule\.registerQueue\('billing-unregistered'\)/);
    return true;
  });
});
