/**
 * php-resque and Ruby resque as peers, by their bytes (resque-protocol.md §4, §5, §6, §8): payloads
 * written exactly as they write them run on our worker, status keys follow php-resque, and our
 * registration reads the way resque-web and Ruby's pruner expect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { ResqueClient, ResqueKeys, type JobContext } from '../../lib/index.js';
import { heartbeat } from '../../lib/protocol/scripts/heartbeat.js';
import { parseWorkerId } from '../../lib/protocol/worker-id.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { InProcessWorker, MANY_DATABASES, freshDb, redisOn } from './fixtures/in-process-worker.js';
import { PHP_ID, PHP_PAYLOAD, PHP_PREFIXED_PAYLOAD, PHP_STATUS_WAITING, RESQUE_PHP_STATUS_WAITING, RUBY_PAYLOAD } from './fixtures/payloads.js';

let server: RedisServer;
const clients: Redis[] = [];
before(async () => {
  server = await RedisServer.start({ extraArgs: MANY_DATABASES });
});
after(async () => {
  for (const c of clients) c.disconnect();
  await server.destroy();
});

function setup() {
  const db = freshDb();
  const redis = redisOn(server, db);
  clients.push(redis);
  const keys = new ResqueKeys();
  return { db, redis, keys, client: new ResqueClient({ redis, keys }) };
}

/** Runs `raws` (pushed as a producer would: SADD queues + RPUSH) through our worker; returns each ctx. */
async function runOurWorker(
  db: number,
  redis: Redis,
  queue: string,
  raws: string[],
  run: (ctx: JobContext) => unknown = () => undefined,
): Promise<{ seen: JobContext[]; worker: InProcessWorker }> {
  await redis.sadd('resque:queues', queue);
  await redis.rpush(`resque:queue:${queue}`, ...raws);
  const seen: JobContext[] = [];
  const worker = new InProcessWorker({ server, db, queues: [queue], maxJobs: raws.length, run: async (ctx) => { seen.push(ctx); return run(ctx); } });
  await worker.run();
  await worker.close();
  assert.deepEqual(worker.errors, []);
  return { seen, worker };
}

const statusOf = async (redis: Redis, key: string) => JSON.parse((await redis.get(key)) ?? 'null') as Record<string, unknown> | null;
/** RUNNING is written when the job is reserved; waiting keeps the check independent of that timing. */
const runningStatus = (redis: Redis, key: string) =>
  waitFor(async () => {
    const status = await statusOf(redis, key);
    return status?.status === 2 ? status : undefined;
  }, `RUNNING status at ${key}`, 2_000);

describe('payloads as php-resque and Ruby write them', () => {
  test('chrisboulton php-resque payload (\\/ escapes, \\u00e9, int > 2^53, float queue_time): runs, status 1 → 2 → 4', async () => {
    const { db, redis } = setup();
    const statusKey = `resque:job:${PHP_ID}:status`;
    await redis.set(statusKey, PHP_STATUS_WAITING);
    const during: unknown[] = [];
    const { seen } = await runOurWorker(db, redis, 'UserJobQueue', [PHP_PAYLOAD], async () => {
      during.push((await runningStatus(redis, statusKey)).status);
    });
    const [ctx] = seen;
    assert.equal(ctx.raw, PHP_PAYLOAD, 'the popped bytes are handed over unchanged');
    assert.equal(ctx.className, 'App\\Jobs\\UserJob');
    assert.equal(ctx.id, PHP_ID);
    assert.deepEqual(ctx.data, { user_id: 42, email: 'a/b@example.com', name: 'José', big: 12345678901234567890n, list: [] });
    assert.deepEqual(during, [2]);
    const done = await statusOf(redis, statusKey);
    assert.equal(done?.status, 4);
    assert.equal(typeof done?.updated, 'number');
    const ttl = await redis.ttl(statusKey);
    assert.ok(ttl > 0 && ttl <= 86_400, `finished status expires within a day (ttl ${ttl})`);
    assert.equal(await redis.get('resque:stat:processed'), '1');
    assert.equal(await redis.llen('resque:failed'), 0);
  });

  test('resque/php-resque "prefix":"acme" payload updates job:acme_<id>:status, not job:<id>:status', async () => {
    const { db, redis } = setup();
    const prefixedKey = `resque:job:acme_${PHP_ID}:status`;
    await redis.set(prefixedKey, RESQUE_PHP_STATUS_WAITING);
    const during: unknown[] = [];
    const { seen } = await runOurWorker(db, redis, 'UserJobQueue', [PHP_PREFIXED_PAYLOAD], async () => {
      during.push((await runningStatus(redis, prefixedKey)).status);
    });
    assert.equal(seen[0].id, PHP_ID);
    assert.deepEqual(during, [2]);
    assert.equal((await statusOf(redis, prefixedKey))?.status, 4);
    assert.ok((await redis.ttl(prefixedKey)) > 0);
    assert.equal(await redis.exists(`resque:job:${PHP_ID}:status`), 0, 'the unprefixed key is never created');
  });

  test('resque/php-resque status keeps "started" and "result" when our worker updates it (§5, §13.1)', async () => {
    const { db, redis } = setup();
    const prefixedKey = `resque:job:acme_${PHP_ID}:status`;
    await redis.set(prefixedKey, RESQUE_PHP_STATUS_WAITING);
    await runOurWorker(db, redis, 'UserJobQueue', [PHP_PREFIXED_PAYLOAD]);
    const done = await statusOf(redis, prefixedKey);
    assert.equal(done?.status, 4);
    assert.equal(done?.started, 1718022896);
    assert.ok(done && 'result' in done);
  });

  test('a php job whose status key is absent (untracked) runs and creates no status', async () => {
    const { db, redis } = setup();
    await runOurWorker(db, redis, 'UserJobQueue', [PHP_PAYLOAD]);
    assert.equal(await redis.exists(`resque:job:${PHP_ID}:status`), 0);
  });

  test('Ruby payload {"class","args":[1,2]} (no id) runs with ctx.args [1,2] and data = args[0]', async () => {
    const { db, redis } = setup();
    const { seen } = await runOurWorker(db, redis, 'ruby', [RUBY_PAYLOAD, '{"class":"RubyJob"}']);
    assert.deepEqual(seen.map((c) => [c.className, c.args, c.data, c.id]), [
      ['RubyJob', [1, 2], 1, undefined],
      ['RubyJob', [], undefined, undefined],
    ]);
    assert.equal(await redis.get('resque:stat:processed'), '2');
  });

  test('a failing PHP job: the failure record holds the payload bytes unchanged; status 3; our retry pushes them back as they were', async () => {
    const { db, redis, client } = setup();
    const statusKey = `resque:job:${PHP_ID}:status`;
    await redis.set(statusKey, PHP_STATUS_WAITING);
    const { worker } = await runOurWorker(db, redis, 'UserJobQueue', [PHP_PAYLOAD], () => {
      throw new Error('php job failed');
    });
    const [record] = await redis.lrange('resque:failed', 0, -1);
    assert.ok(record.includes(`,"payload":${PHP_PAYLOAD},"exception":"Error"`), record.slice(0, 300));
    const parsed = JSON.parse(record);
    assert.deepEqual(Object.keys(parsed), ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue']);
    assert.equal(parsed.worker, worker.id);
    assert.equal((await statusOf(redis, statusKey))?.status, 3);
    assert.equal(await redis.get('resque:stat:failed'), '1');
    assert.equal(await redis.get(`resque:stat:failed:${worker.id}`), null, 'per-worker counter removed on unregister');
    await client.retryAndRemoveFailed(0);
    assert.deepEqual(await redis.lrange('resque:queue:UserJobQueue', 0, -1), [PHP_PAYLOAD]);
  });

  test('JobContext.queueTime carries php-resque queue_time', async () => {
    const { db, redis } = setup();
    const { seen } = await runOurWorker(db, redis, 'UserJobQueue', [PHP_PAYLOAD]);
    assert.equal(seen[0].queueTime, 1718022896.123456);
  });
});

describe('status keys as php-resque reads them', () => {
  test('enqueue with track: job:<id>:status is {status:1,updated,started}; after a run {status:4,updated} with TTL ≤ 86400', async () => {
    const { db, redis, client } = setup();
    const before = Math.floor(Date.now() / 1000);
    const id = await client.enqueue('tracked', 'UserJob', { a: 1 }, true);
    assert.match(id, /^[0-9a-f]{32}$/, "php-resque's id shape");
    const [raw] = await redis.lrange('resque:queue:tracked', 0, -1);
    assert.match(raw, new RegExp(`^\\{"class":"UserJob","args":\\[\\{"a":1\\}\\],"id":"${id}","queue_time":\\d+(\\.\\d+)?\\}$`));
    const waiting = JSON.parse((await redis.get(`resque:job:${id}:status`))!);
    assert.deepEqual(Object.keys(waiting), ['status', 'updated', 'started']);
    assert.equal(waiting.status, 1);
    assert.ok(Number.isInteger(waiting.updated) && waiting.updated >= before && waiting.updated <= before + 5);
    assert.equal(waiting.started, waiting.updated);
    assert.equal(await redis.ttl(`resque:job:${id}:status`), -1, 'no expiry while waiting');
    assert.deepEqual(await client.status(id), { status: 1, updated: waiting.updated, started: waiting.started });

    const worker = new InProcessWorker({ server, db, queues: ['tracked'], maxJobs: 1, run: () => undefined });
    await worker.run();
    await worker.close();
    const complete = JSON.parse((await redis.get(`resque:job:${id}:status`))!);
    assert.deepEqual(Object.keys(complete), ['status', 'updated'], "chrisboulton's shape: started dropped");
    assert.equal(complete.status, 4);
    assert.ok(Number.isInteger(complete.updated) && complete.updated >= waiting.updated);
    const ttl = await redis.ttl(`resque:job:${id}:status`);
    assert.ok(ttl > 0 && ttl <= 86_400, `ttl ${ttl}`);
  });
});

describe('worker registration as resque-web and Ruby expect', () => {
  test('workers set holds host:pid:queues, worker:<id>:started exists, stats use the full id; all removed on unregister', async () => {
    const { db, redis } = setup();
    await redis.rpush('resque:queue:a:b', '{"class":"J","args":[]}');
    let inside: { members: string[]; started: string | null; record: string | null } | undefined;
    const worker = new InProcessWorker({
      server,
      db,
      queues: ['a:b', 'c'],
      host: 'web1',
      pid: 4242,
      maxJobs: 1,
      run: async () => {
        inside = {
          members: await redis.smembers('resque:workers'),
          started: await redis.get('resque:worker:web1:4242:a:b,c:started'),
          record: await redis.get('resque:worker:web1:4242:a:b,c'),
        };
      },
    });
    await worker.run();
    assert.ok(inside);
    assert.deepEqual(inside.members, ['web1:4242:a:b,c']);
    // Ruby: id.split(':', 3); PHP: explode(':', id, 3). Queue names may hold colons.
    assert.deepEqual(parseWorkerId(inside.members[0]), { host: 'web1', pid: 4242, queues: ['a:b', 'c'] });
    assert.ok(inside.started && !Number.isNaN(Date.parse(inside.started)), `started parses: ${inside.started}`);
    const record = JSON.parse(inside.record!);
    assert.deepEqual(Object.keys(record), ['queue', 'run_at', 'payload', 'worker']);
    assert.match(record.run_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'ISO-8601 run_at (pyres lesson)');
    assert.equal(await redis.scard('resque:workers'), 0);
    assert.deepEqual(await redis.keys('resque:worker:*'), []);
    assert.deepEqual(await redis.keys('resque:stat:*:web1*'), []);
    assert.equal(await redis.get('resque:stat:processed'), '1');
    await worker.close();
  });

  test('workers:heartbeat is a hash of id → ISO-8601 time that Date.parse reads; unregister removes the field', async () => {
    const { db, redis } = setup();
    const keys = new ResqueKeys();
    const worker = new InProcessWorker({ server, db, queues: ['q'], host: 'web1', pid: 4243, run: () => undefined });
    await worker.ops.register();
    const stale = await heartbeat(redis, keys, [worker.id], 60_000);
    assert.deepEqual(stale, []);
    assert.equal(await redis.type('resque:workers:heartbeat'), 'hash');
    const beat = await redis.hget('resque:workers:heartbeat', worker.id);
    assert.match(beat ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    const age = Date.now() - Date.parse(beat!);
    assert.ok(age >= 0 && age < 5_000, `heartbeat is now (age ${age} ms)`);
    await worker.ops.unregister();
    assert.equal(await redis.hexists('resque:workers:heartbeat', worker.id), 0);
    assert.equal(await redis.sismember('resque:workers', worker.id), 0);
    await worker.close();
  });
});
