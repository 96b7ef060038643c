/**
 * 64-bit integers from PHP and Ruby producers (PHP_INT_MAX, snowflake ids) reach perform exactly,
 * as bigint; enqueue writes a bigint's exact digits; a job that opts out (`unsafeIntegers: 'fail'`)
 * fails with a reason naming the field instead of running on a rounded number.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestingModule } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { Job, JobRunner, ResqueClient, ResqueKeys, type JobContext, type ResqueJob } from '../../lib/index.js';
import { decodePayload } from '../../lib/protocol/payload.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { InProcessWorker, MANY_DATABASES, freshDb, redisOn } from './fixtures/in-process-worker.js';

let server: RedisServer;
const clients: Redis[] = [];
before(async () => {
  server = await RedisServer.start({ extraArgs: MANY_DATABASES });
});
after(async () => {
  for (const c of clients) c.disconnect();
  await server.destroy();
});

async function runOurWorker(raws: string[], run: (ctx: JobContext) => unknown = () => undefined) {
  const db = freshDb();
  const redis = redisOn(server, db);
  clients.push(redis);
  await redis.rpush('resque:queue:big', ...raws);
  const seen: JobContext[] = [];
  const worker = new InProcessWorker({ server, db, queues: ['big'], maxJobs: raws.length, run: async (ctx) => { seen.push(ctx); return run(ctx); } });
  await worker.run();
  await worker.close();
  assert.deepEqual(worker.errors, []);
  return { seen, redis };
}

// As PHP's json_encode writes it (PHP_INT_MAX, PHP_INT_MIN, a Twitter snowflake, a whole float as 1.0).
const PHP = String.raw`{"class":"App\\Jobs\\Sync","args":[{"max":9223372036854775807,"min":-9223372036854775808,"tweet":{"id":1541815603606036480,"ids":[1541815603606036481,7]},"safe":9007199254740991,"first_unsafe":9007199254740993,"ratio":1.0,"big_float":12345678901234567890.5,"exp":1e21,"as_text":"12345678901234567890"}],"id":"0123456789abcdef0123456789abcdef","queue_time":1718022896.123456}`;
// As Ruby's JSON.generate writes it (Integer is arbitrary precision).
const RUBY = '{"class":"RubyJob","args":[18446744073709551615,{"user_id":9223372036854775807}]}';

describe('integers beyond 2^53 reach perform exactly', () => {
  test('a php-resque payload: PHP_INT_MAX, PHP_INT_MIN and snowflake ids as bigint; safe integers and floats as number', async () => {
    const { seen } = await runOurWorker([PHP]);
    const data = seen[0].data as Record<string, unknown>;
    assert.equal(data.max, 9223372036854775807n);
    assert.equal(data.min, -9223372036854775808n);
    assert.deepEqual(data.tweet, { id: 1541815603606036480n, ids: [1541815603606036481n, 7] });
    assert.equal(data.safe, 9007199254740991);
    assert.equal(typeof data.safe, 'number');
    assert.equal(data.first_unsafe, 9007199254740993n);
    assert.equal(data.ratio, 1, 'a whole float 1.0 reads as the number 1');
    assert.equal(typeof data.big_float, 'number', 'a number with a fraction is a float');
    assert.equal(data.exp, 1e21);
    assert.equal(data.as_text, '12345678901234567890');
    assert.equal(seen[0].raw, PHP, 'raw stays the producer bytes');
    assert.equal(seen[0].queueTime, 1718022896.123456);
  });

  test('a Ruby payload: u64 max and an id as bigint, args exact', async () => {
    const { seen } = await runOurWorker([RUBY]);
    assert.deepEqual(seen[0].args, [18446744073709551615n, { user_id: 9223372036854775807n }]);
  });

  test('enqueue writes a bigint\'s exact digits and the worker reads the same bigint back', async () => {
    const db = freshDb();
    const redis = redisOn(server, db);
    clients.push(redis);
    const client = new ResqueClient({ redis, keys: new ResqueKeys() });
    const data = { id: 9223372036854775807n, neg: -9223372036854775808n, list: [1541815603606036480n, 3n, 4], small: 5 };
    await client.enqueue('big', 'Sync', data);
    const [raw] = await redis.lrange('resque:queue:big', 0, -1);
    assert.match(raw, /"args":\[\{"id":9223372036854775807,"neg":-9223372036854775808,"list":\[1541815603606036480,3,4\],"small":5\}\]/);
    const worker = new InProcessWorker({ server, db, queues: ['big'], maxJobs: 1, run: (ctx) => { seen.push(ctx); } });
    const seen: JobContext[] = [];
    await worker.run();
    await worker.close();
    // 3n was written as 3: small integers read back as numbers.
    assert.deepEqual(seen[0].data, { id: 9223372036854775807n, neg: -9223372036854775808n, list: [1541815603606036480n, 3, 4], small: 5 });
  });

  test('decodePayload: JSON.parse for ordinary payloads, exact only where a long digit run appears', () => {
    const plain = decodePayload('{"class":"A","args":[{"n":123456789012345}],"id":"1234567890123456789012345678abcd"}');
    assert.ok(plain.ok);
    assert.deepEqual(plain.ok && plain.payload.args, [{ n: 123456789012345 }]);
    const exact = decodePayload('{"class":"A","args":[[9223372036854775807, {"__proto__": 12345678901234567890}]]}');
    assert.ok(exact.ok);
    const [[big, odd]] = (exact.ok ? exact.payload.args : []) as [[bigint, Record<string, unknown>]];
    assert.equal(big, 9223372036854775807n);
    assert.equal(Object.getPrototypeOf(odd), Object.prototype, 'a "__proto__" key stays an own property, as JSON.parse does');
    assert.equal(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value, 12345678901234567890n);
    const broken = decodePayload('{"class":"A","args":[9223372036854775807,]}');
    assert.equal(broken.ok, false);
  });
});

@Job({ queue: 'big', unsafeIntegers: 'fail' })
class CarefulJob implements ResqueJob {
  perform(): void {
    throw new Error('must not run');
  }
}
@Job('big')
class EagerJob implements ResqueJob<{ user: { id: number | bigint } }> {
  static seen: unknown[] = [];
  perform(data: { user: { id: number | bigint } }): void {
    EagerJob.seen.push(data.user.id);
  }
}

describe('a job that opts out of bigint', () => {
  let app: TestingModule;
  before(async () => {
    ({ app } = await bootResque(server, [CarefulJob, EagerJob]));
  });
  after(async () => {
    await app.close();
  });

  test('fails with UnsafeIntegerError naming the field; the default job gets the bigint', async () => {
    const runner = app.get(JobRunner);
    const raw = (cls: string) => `{"class":"${cls}","args":[{"user":{"id":9223372036854775807}}]}`;
    const { redis } = await runOurWorker([raw('CarefulJob'), raw('EagerJob'), '{"class":"CarefulJob","args":[{"user":{"id":42}}]}'], (ctx) => runner.run(ctx));
    const records = (await redis.lrange('resque:failed', 0, -1)).map((r) => JSON.parse(r) as Record<string, string>);
    assert.equal(records.length, 2, 'the opted-out job fails on the big id; with a small id it runs (and throws)');
    assert.equal(records[0].exception, 'UnsafeIntegerError');
    assert.match(records[0].error, /args\[0\]\.user\.id/);
    assert.match(records[0].error, /9223372036854775807/);
    assert.equal(records[1].error, 'must not run');
    assert.deepEqual(EagerJob.seen, [9223372036854775807n]);
  });
});
