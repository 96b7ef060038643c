import 'reflect-metadata';
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import {
  DontCreateError,
  DontPerformError,
  Job,
  JobRunner,
  QueueService,
  ResqueEvents,
  ResqueHook,
  UnknownJobClassError,
  type EnqueueContext,
  type JobContext,
  type ResqueEvent,
  type ResqueJob,
  type ResqueKeys,
} from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';

const log: string[] = [];

interface Order {
  readonly mode: 'ok' | 'throw' | 'skip-before' | 'skip-setup';
}

@Job('hooked')
class HookedJob implements ResqueJob<Order> {
  beforePerform(ctx: JobContext): void {
    log.push(`job.beforePerform ${ctx.className}`);
    if ((ctx.data as Order).mode === 'skip-before') throw new DontPerformError('not today');
  }
  setUp(ctx: JobContext): void {
    log.push('job.setUp');
    if ((ctx.data as Order).mode === 'skip-setup') throw new DontPerformError();
  }
  async perform(data: Order): Promise<string> {
    log.push('job.perform');
    if (data.mode === 'throw') throw new Error('perform failed');
    return 'done';
  }
  tearDown(): void {
    log.push('job.tearDown');
  }
  afterPerform(_ctx: JobContext, result: unknown): void {
    log.push(`job.afterPerform ${String(result)}`);
  }
  onFailure(error: unknown): void {
    log.push(`job.onFailure ${(error as Error).message}`);
  }
}

@Job('plain')
class PlainJob implements ResqueJob<number> {
  perform(n: number): number {
    return n * 2;
  }
}

@Injectable()
class AuditHooks {
  vetoQueue = '';

  @ResqueHook('beforePerform')
  before(ctx: JobContext): void {
    log.push(`module.beforePerform ${ctx.queue}`);
  }
  @ResqueHook('afterPerform')
  after(_ctx: JobContext, result: unknown): void {
    log.push(`module.afterPerform ${String(result)}`);
  }
  @ResqueHook('onFailure')
  failure(error: unknown, ctx: JobContext): void {
    log.push(`module.onFailure ${(error as Error).message} ${ctx.className}`);
    throw new Error('a broken onFailure listener is logged, not thrown');
  }
  @ResqueHook('beforeEnqueue')
  beforeEnqueue(e: EnqueueContext): void {
    log.push(`module.beforeEnqueue ${e.queue} ${e.className} ${e.id}`);
    if (e.queue === this.vetoQueue) throw new DontCreateError('vetoed');
  }
  @ResqueHook('afterEnqueue')
  afterEnqueue(e: EnqueueContext): void {
    log.push(`module.afterEnqueue ${e.id}`);
  }
}

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let keys: ResqueKeys;
let runner: JobRunner;

function ctx(className: string, data: unknown): JobContext {
  return { className, queue: 'hooked', args: [data], data, raw: JSON.stringify({ class: className, args: [data] }), workerId: 'h:1:hooked', id: 'abc', attempt: 1 };
}

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app, keys } = await bootResque(server, [HookedJob, PlainJob, AuditHooks]));
  runner = app.get(JobRunner);
});
after(async () => {
  await app.close();
  redis.disconnect();
  await server.destroy();
});
beforeEach(() => {
  log.length = 0;
});

test('a successful job runs module and job hooks in php-resque order', async () => {
  assert.equal(await runner.run(ctx('HookedJob', { mode: 'ok' })), 'done');
  assert.deepEqual(log, [
    'module.beforePerform hooked',
    'job.beforePerform HookedJob',
    'job.setUp',
    'job.perform',
    'job.tearDown',
    'job.afterPerform done',
    'module.afterPerform done',
  ]);
});

test('a failing job runs onFailure hooks (a broken listener is swallowed) and rejects with its error', async () => {
  await assert.rejects(runner.run(ctx('HookedJob', { mode: 'throw' })), /perform failed/);
  assert.deepEqual(log, [
    'module.beforePerform hooked',
    'job.beforePerform HookedJob',
    'job.setUp',
    'job.perform',
    'job.onFailure perform failed',
    'module.onFailure perform failed HookedJob',
  ]);
});

test('DontPerformError in beforePerform or setUp skips the job as a success', async () => {
  assert.equal(await runner.run(ctx('HookedJob', { mode: 'skip-before' })), undefined);
  assert.deepEqual(log, ['module.beforePerform hooked', 'job.beforePerform HookedJob']);
  log.length = 0;
  assert.equal(await runner.run(ctx('HookedJob', { mode: 'skip-setup' })), undefined);
  assert.deepEqual(log, ['module.beforePerform hooked', 'job.beforePerform HookedJob', 'job.setUp']);
});

test('an unknown class is refused with the known names', async () => {
  await assert.rejects(runner.run(ctx('Nope', 1)), (error: unknown) => {
    assert.ok(error instanceof UnknownJobClassError);
    assert.equal(error.message, 'No @Job provider handles class "Nope" (known: HookedJob, PlainJob)');
    return true;
  });
});

test('events$ reports started, completed, failed and skipped', async () => {
  const seen: ResqueEvent[] = [];
  const subscription = app.get(ResqueEvents).events$.subscribe((event) => seen.push(event));
  try {
    await runner.run(ctx('PlainJob', 21));
    await assert.rejects(runner.run(ctx('HookedJob', { mode: 'throw' })));
    await runner.run(ctx('HookedJob', { mode: 'skip-setup' }));
  } finally {
    subscription.unsubscribe();
  }
  assert.deepEqual(
    seen.map((e) => `${e.type} ${e.className}`),
    [
      'job.started PlainJob', 'job.completed PlainJob',
      'job.started HookedJob', 'job.failed HookedJob',
      'job.started HookedJob', 'job.skipped HookedJob',
    ],
  );
  const completed = seen[1];
  assert.ok(completed.type === 'job.completed' && completed.durationMs >= 0 && completed.workerId === 'h:1:hooked' && completed.id === 'abc');
  const failed = seen[3];
  assert.ok(failed.type === 'job.failed' && (failed.error as Error).message === 'perform failed');
  const skipped = seen[5];
  assert.ok(skipped.type === 'job.skipped' && skipped.reason === 'skipped by a hook');
});

test('beforeEnqueue sees the id before the write; DontCreateError vetoes and writes nothing', async () => {
  const queues = app.get(QueueService);
  const id = await queues.enqueue('accepted', 'PlainJob', 1);
  assert.ok(id);
  assert.deepEqual(log, [`module.beforeEnqueue accepted PlainJob ${id}`, `module.afterEnqueue ${id}`]);
  assert.equal(await redis.llen(keys.queue('accepted')), 1);

  log.length = 0;
  app.get(AuditHooks).vetoQueue = 'vetoed';
  const seen: ResqueEvent[] = [];
  const subscription = app.get(ResqueEvents).events$.subscribe((event) => seen.push(event));
  try {
    assert.equal(await queues.enqueue('vetoed', 'PlainJob', 1, true), null);
  } finally {
    subscription.unsubscribe();
  }
  assert.equal(log.length, 1);
  assert.match(log[0], /^module\.beforeEnqueue vetoed PlainJob [0-9a-f]{32}$/);
  assert.deepEqual(seen, [{ type: 'job.enqueue-cancelled', queue: 'vetoed', className: 'PlainJob', reason: 'vetoed' }]);
  assert.equal(await redis.exists(keys.queue('vetoed')), 0);
  assert.equal(await redis.sismember(keys.queues, 'vetoed'), 0);
  const vetoedId = log[0].split(' ').at(-1)!;
  assert.equal(await redis.exists(keys.jobStatus(vetoedId)), 0);

  const ids = await queues.enqueueBulk('vetoed', 'PlainJob', [1, 2]);
  assert.deepEqual(ids, [null, null]);
  assert.equal(await redis.exists(keys.queue('vetoed')), 0);
});
