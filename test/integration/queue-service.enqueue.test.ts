import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { TestingModule } from '@nestjs/testing';
import {
  InvalidJobDataError,
  InvalidQueueNameError,
  Job,
  JobStatus,
  NotAJobClassError,
  QueueService,
  ResqueEvents,
  type ResqueEvent,
  type ResqueJob,
  type ResqueKeys,
} from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';

interface Welcome {
  readonly userId: number;
  readonly email: string;
}

@Job('UserJobQueue')
class UserJob implements ResqueJob<Welcome> {
  perform(_data: Welcome): void {}
}

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let keys: ResqueKeys;
let queues: QueueService;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app, keys } = await bootResque(server, [UserJob]));
  queues = app.get(QueueService);
});
after(async () => {
  await app.close();
  redis.disconnect();
  await server.destroy();
});

test('enqueue writes php-resque\'s exact payload, SADDs the queue and writes no status by default', async () => {
  const before = Date.now() / 1000;
  const id = await queues.enqueue('UserJobQueue', 'UserJob', { user_id: 42, email: 'a/b@example.com' });
  assert.ok(id);
  assert.match(id, /^[0-9a-f]{32}$/);
  const [raw] = await redis.lrange(keys.queue('UserJobQueue'), 0, -1);
  const match = /^\{"class":"UserJob","args":\[\{"user_id":42,"email":"a\/b@example.com"\}\],"id":"([0-9a-f]{32})","queue_time":(\d+(\.\d+)?)\}$/.exec(raw);
  assert.ok(match, raw);
  assert.equal(match[1], id);
  const queueTime = Number(match[2]);
  assert.ok(queueTime >= before - 1 && queueTime <= Date.now() / 1000 + 1, `queue_time ${queueTime}`);
  assert.deepEqual(await redis.smembers(keys.queues), ['UserJobQueue']);
  // The one-job path writes the wake-up entry right after its RPUSH replied (a hint, not atomic with it).
  await waitFor(async () => (await redis.xlen(keys.wake)) === 1, 'a push onto an empty queue wakes idle workers (one-job path and batches alike)');
  assert.equal(await redis.exists(keys.jobStatus(id)), 0);
  assert.equal(await queues.status(id), null);
});

test('one job at a time: SADD + RPUSH; a wake-up for a push onto an empty queue, none while the queue holds a backlog', async () => {
  const wakeUps = async () => (await redis.xrange(keys.wake, '-', '+')).filter(([, fields]) => fields[1] === 'one-by-one').length;
  const first = await queues.enqueue('one-by-one', 'UserJob', { n: 1 });
  await waitFor(async () => (await wakeUps()) === 1, 'the wake-up entry of the first push');
  // The last push found the queue empty: this one sends its wake-up along (here a spare: a job waits).
  const second = await queues.enqueue('one-by-one', 'UserJob', { n: 2 });
  await waitFor(async () => (await wakeUps()) === 2, 'the wake-up sent with the push after one that found the queue empty');
  const third = await queues.enqueue('one-by-one', 'UserJob', { n: 3 });
  const fourth = await queues.enqueue('one-by-one', 'UserJob', { n: 4 });
  assert.equal(await redis.sismember(keys.queues, 'one-by-one'), 1);
  assert.deepEqual((await redis.lrange(keys.queue('one-by-one'), 0, -1)).map((raw) => JSON.parse(raw).id), [first, second, third, fourth]);
  // A marker written after the last enqueue resolved: any wake-up of those pushes would precede it.
  const marker = await redis.xadd(keys.wake, '*', 'q', 'marker');
  const entries = await redis.xrange(keys.wake, '-', marker!);
  assert.equal(entries.filter(([, fields]) => fields[1] === 'one-by-one').length, 2, 'no wake-up for pushes onto a queue that held jobs');
  // Drained by a worker (here: by hand), the next push wakes again.
  await redis.del(keys.queue('one-by-one'));
  await queues.enqueue('one-by-one', 'UserJob', { n: 5 });
  await waitFor(async () => (await wakeUps()) === 3, 'the wake-up of a push onto the drained queue');
  assert.equal(await redis.exists(keys.jobStatus(second!)), 0);
});

test('a tracked job gets {"status":1,"updated":T,"started":T}', async () => {
  const id = await queues.enqueue('tracked', 'UserJob', null, true);
  assert.ok(id);
  const raw = await redis.get(keys.jobStatus(id));
  assert.match(raw ?? '', /^\{"status":1,"updated":(\d+),"started":\1\}$/);
  const status = await queues.status(id);
  assert.equal(status?.status, JobStatus.Waiting);
  const [payload] = await redis.lrange(keys.queue('tracked'), 0, -1);
  assert.match(payload, new RegExp(`^\\{"class":"UserJob","args":\\[null\\],"id":"${id}","queue_time":[\\d.]+\\}$`));
});

test('typed enqueue takes queue and class name from @Job and checks the data type', async () => {
  const id = await queues.enqueue(UserJob, { userId: 7, email: 'x@y.z' }, { track: true });
  assert.ok(id);
  const [raw] = await redis.lrange(keys.queue('UserJobQueue'), -1, -1);
  assert.equal(JSON.parse(raw).class, 'UserJob');
  assert.deepEqual(JSON.parse(raw).args, [{ userId: 7, email: 'x@y.z' }]);
  assert.equal((await queues.status(id))?.status, JobStatus.Waiting);
  // Compile-time checks, never run: tsc fails this file if the typed form accepts wrong data.
  const typeChecks = (): void => {
    // @ts-expect-error userId must be a number
    void queues.enqueue(UserJob, { userId: 'nope', email: '' });
    // @ts-expect-error email is required
    void queues.enqueue(UserJob, { userId: 1 });
  };
  void typeChecks;
  class NotAJob implements ResqueJob<number> {
    perform(_n: number): void {}
  }
  await assert.rejects(queues.enqueue(NotAJob, 1), NotAJobClassError);
});

test('data JSON would change is refused and nothing is written', async () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const refused: Array<[string, unknown]> = [
    ['function', { f: () => 1 }],
    ['cycle', cyclic],
    ['undefined', undefined],
    ['undefined in array', [1, undefined]],
    ['Date', { at: new Date() }],
    ['NaN', { n: Number.NaN }],
    ['Map', new Map()],
  ];
  for (const [what, data] of refused) {
    await assert.rejects(queues.enqueue('refused', 'UserJob', data, true), InvalidJobDataError, what);
  }
  await assert.rejects(queues.enqueueBulk('refused', 'UserJob', [{ ok: 1 }, { bad: () => 1 }]), InvalidJobDataError);
  await assert.rejects(queues.enqueue('bad queue', 'UserJob', {}), InvalidQueueNameError);
  await assert.rejects(queues.enqueue('', 'UserJob', {}), InvalidQueueNameError);
  for (const queue of ['a:b', 'a*', 'bell\u0007', 'esc\u001b', 'bidi\u202e', 'x'.repeat(10_000)]) {
    await assert.rejects(queues.enqueue(queue, 'UserJob', {}), InvalidQueueNameError, JSON.stringify(queue));
    await assert.rejects(queues.enqueueBulk(queue, 'UserJob', [{}]), InvalidQueueNameError, JSON.stringify(queue));
  }
  assert.deepEqual((await redis.smembers(keys.queues)).filter((q) => !/^[\w-]+$/.test(q)), [], 'no odd name reached queues');
  assert.equal(await redis.llen(keys.queue('refused')), 0);
  assert.equal(await redis.sismember(keys.queues, 'refused'), 0);
  assert.deepEqual(await redis.keys(`${keys.key('job:')}*`).then((k) => k.filter((key) => key.includes('refused'))), []);
});

test('enqueueBulk stores every item in order, across script batches', async () => {
  const items = Array.from({ length: 2500 }, (_, i) => ({ i }));
  const ids = await queues.enqueueBulk('bulk', 'UserJob', items, true);
  assert.equal(ids.length, 2500);
  assert.equal(new Set(ids).size, 2500);
  assert.equal(await redis.llen(keys.queue('bulk')), 2500);
  const stored = await redis.lrange(keys.queue('bulk'), 0, -1);
  stored.forEach((raw, i) => {
    const payload = JSON.parse(raw);
    assert.deepEqual(payload.args, [{ i }]);
    assert.equal(payload.id, ids[i]);
  });
  assert.equal(await redis.exists(keys.jobStatus(ids[2499]!)), 1);
});

test('events$ emits job.enqueued with the id', async () => {
  const seen: ResqueEvent[] = [];
  const subscription = app.get(ResqueEvents).events$.subscribe((event) => seen.push(event));
  try {
    const id = await queues.enqueue('evented', 'UserJob', { n: 1 });
    assert.deepEqual(seen, [{ type: 'job.enqueued', queue: 'evented', className: 'UserJob', id }]);
  } finally {
    subscription.unsubscribe();
  }
  assert.equal(app.get(ResqueEvents).observed, false);
});

test('readers: queues, size, sizes and peek', async () => {
  assert.ok((await queues.queues()).includes('UserJobQueue'));
  assert.equal(await queues.size('evented'), 1);
  const sizes = await queues.sizes();
  assert.equal(sizes.bulk, 2500);
  const peeked = await queues.peek('bulk', 10, 2);
  assert.deepEqual(peeked.map((p) => p.payload?.args), [[{ i: 10 }], [{ i: 11 }]]);
  await redis.rpush(keys.queue('garbage'), 'not json');
  assert.deepEqual(await queues.peek('garbage'), [{ raw: 'not json', payload: null }]);
});

test('enqueues made in one tick share a script call, keep call order and each get their id', async () => {
  await redis.config('RESETSTAT');
  const calls: Array<Promise<string | null>> = [];
  for (let i = 0; i < 1000; i++) calls.push(queues.enqueue(i % 2 === 0 ? 'tick-even' : 'tick-odd', 'UserJob', { i }, i % 10 === 0));
  const ids = await Promise.all(calls);
  assert.equal(new Set(ids).size, 1000);
  const stats = await redis.info('commandstats');
  const scriptCalls = [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  assert.ok(scriptCalls <= 4, `1000 jobs on 2 queues took ${scriptCalls} script calls`);
  for (const [queue, parity] of [['tick-even', 0], ['tick-odd', 1]] as const) {
    const stored = (await redis.lrange(keys.queue(queue), 0, -1)).map((raw) => JSON.parse(raw) as { args: [{ i: number }]; id: string });
    assert.deepEqual(stored.map((p) => p.args[0].i), Array.from({ length: 500 }, (_, k) => 2 * k + parity), `${queue} in call order`);
    for (const payload of stored) assert.equal(payload.id, ids[payload.args[0].i]);
  }
  assert.deepEqual((await redis.smembers(keys.queues)).filter((q) => q.startsWith('tick-')).sort(), ['tick-even', 'tick-odd']);
  for (let i = 0; i < 1000; i += 10) assert.equal((await queues.status(ids[i]!))?.status, JobStatus.Waiting, `tracked job ${i}`);
  assert.equal(await redis.exists(keys.jobStatus(ids[1]!)), 0, 'untracked jobs get no status');
});

test('enqueue works after Redis lost its script cache (SCRIPT FLUSH), alone and in a batch', async () => {
  await redis.script('FLUSH');
  const id = await queues.enqueue('flushed', 'UserJob', { n: 1 });
  await redis.script('FLUSH');
  const ids = await Promise.all([1, 2, 3].map((n) => queues.enqueue('flushed', 'UserJob', { n }, true)));
  const stored = (await redis.lrange(keys.queue('flushed'), 0, -1)).map((raw) => JSON.parse(raw).id as string);
  assert.deepEqual(stored, [id, ...ids]);
});
