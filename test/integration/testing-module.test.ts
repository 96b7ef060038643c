// nestjs-resque/testing: ResqueTestingModule runs enqueued jobs inline with their providers (no Redis
// needed), and drainQueues runs the real worker loop in-process until the queues are empty.
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { DontCreateError, InjectQueue, InvalidJobDataError, Job, QueueHandle, QueueService, RESQUE_REDIS, ResqueHook, ResqueModule, type JobContext, type ResqueJob } from '../../lib/index.js';
import { DrainTimeoutError, InlineQueueService, ResqueTestingModule, drainQueues } from '../../lib/testing/index.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

@Injectable()
class Mailbox {
  readonly sent: unknown[] = [];
}

@Job('mail')
class SendMailJob implements ResqueJob<{ to: string; at?: unknown }> {
  constructor(private readonly mailbox: Mailbox, private readonly queue: QueueService) {}
  async perform(data: { to: string; at?: unknown }, context: JobContext): Promise<void> {
    if (data.to === 'bad') throw new TypeError('no such address');
    this.mailbox.sent.push({ ...data, worker: context.workerId });
    if (data.to === 'chain') await this.queue.enqueue(SendMailJob, { to: 'chained' });
  }
}

let gate: () => void = () => undefined;
@Job('slow')
class GateJob implements ResqueJob<unknown> {
  perform(): Promise<void> {
    return new Promise((resolve) => {
      gate = resolve;
    });
  }
}

@Injectable()
class Signup {
  constructor(@InjectQueue('mail') readonly mail: QueueHandle) {}
}

@Injectable()
class Veto {
  @ResqueHook('beforeEnqueue')
  veto(context: { data: unknown }): void {
    if ((context.data as { to?: string }).to === 'vetoed') throw new DontCreateError('vetoed');
  }
}

describe('ResqueTestingModule (inline)', () => {
  let app: TestingModule;
  before(async () => {
    app = await Test.createTestingModule({ imports: [ResqueTestingModule.forRoot()], providers: [Mailbox, SendMailJob, Signup, Veto] }).compile();
    await app.init();
  });
  after(() => app.close());

  test('enqueue runs the job at once with its providers, with the checks of a real enqueue; queue handles too', async () => {
    const mailbox = app.get(Mailbox);
    const queue = app.get(QueueService);
    assert.ok(queue instanceof InlineQueueService);
    await assert.rejects(queue.enqueue(SendMailJob, { to: 'd', at: new Date(0) }), InvalidJobDataError, 'data a real enqueue refuses is refused');
    assert.deepEqual(mailbox.sent, []);
    const id = await queue.enqueue(SendMailJob, { to: 'a@example.com' });
    assert.match(id!, /^[0-9a-f]{32}$/);
    assert.deepEqual(mailbox.sent, [{ to: 'a@example.com', worker: 'inline' }]);
    await app.get(Signup).mail.enqueue('SendMailJob', { to: 'b@example.com' });
    await queue.enqueueBulk('mail', 'SendMailJob', [{ to: 'c' }, { to: 'chain' }]);
    assert.deepEqual(mailbox.sent.map((m) => (m as { to: string }).to), ['a@example.com', 'b@example.com', 'c', 'chain', 'chained']);
    assert.deepEqual((queue as InlineQueueService).runs.map((r) => r.outcome), ['completed', 'completed', 'completed', 'completed', 'completed']);
    await queue.enqueueIn(SendMailJob, { to: 'later' }, 60_000);
    await queue.enqueueAt(Date.now() + 3_600_000, 'mail', 'SendMailJob', { to: 'much later' });
    assert.deepEqual(mailbox.sent.slice(-2).map((m) => (m as { to: string }).to), ['later', 'much later'], 'delayed jobs run at once, as resque-scheduler inline');
  });

  test("a job's error rejects the enqueue; beforeEnqueue's DontCreateError resolves null; no Redis connection was ever made", async () => {
    const queue = app.get(InlineQueueService);
    await assert.rejects(queue.enqueue('mail', 'SendMailJob', { to: 'bad' }), TypeError);
    assert.equal(queue.runs.at(-1)?.outcome, 'failed');
    assert.equal(await queue.enqueue('mail', 'SendMailJob', { to: 'vetoed' }), null);
    assert.equal(app.get<OwnedRedis>(RESQUE_REDIS).client.status, 'wait', 'lazy client, never connected');
  });
});

describe('drainQueues (real worker loop, in-process)', () => {
  let server: RedisServer;
  let redis: Redis;
  let app: TestingModule;
  let prefix: string;
  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    prefix = uniquePrefix('drain');
    app = await Test.createTestingModule({
      imports: [ResqueModule.forRoot({ connection: server.url, prefix, worker: { queues: ['mail'] } })],
      providers: [Mailbox, SendMailJob, GateJob],
    }).compile();
    await app.init();
  });
  after(async () => {
    gate();
    await app.close();
    redis.disconnect();
    await server.destroy();
  });

  test('runs until the queues are empty, jobs enqueued by jobs included, and reports failures', async () => {
    const queue = app.get(QueueService);
    await queue.enqueueBulk('mail', 'SendMailJob', [{ to: 'x' }, { to: 'bad' }, { to: 'chain' }]);
    const result = await drainQueues(app, { concurrency: 2 });
    assert.equal(result.processed, 4);
    assert.equal(result.failed, 1);
    assert.match(result.failures[0].record.tail, /no such address/);
    assert.deepEqual(app.get(Mailbox).sent.map((m) => (m as { to: string }).to).sort(), ['chain', 'chained', 'x']);
    assert.equal(await redis.llen(`${prefix}:queue:mail`), 0);
    assert.equal(await redis.scard(`${prefix}:workers`), 0, 'the worker unregistered');
    assert.deepEqual(await drainQueues(app), { processed: 0, failed: 0, failures: [] }, 'empty queues: at once');
  });

  test('a drain that cannot finish rejects with DrainTimeoutError', async () => {
    await app.get(QueueService).enqueue('slow', 'GateJob', {});
    await assert.rejects(drainQueues(app, { queues: ['slow'], timeout: 300 }), (error: unknown) => error instanceof DrainTimeoutError && error.name === 'DrainTimeoutError');
    gate(); // the stopped worker finishes its job and unregisters
  });
});
