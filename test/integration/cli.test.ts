/** The `nestjs-resque` bin as a user runs it: a real process (dist/lib/cli/main.js) against a private redis-server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
const T = { timeout: 20_000 };
let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
}, { timeout: 30_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with only PATH and the given variables; killed after 10 s whatever happens. */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const failure = (queue: string, className: string, error: string) =>
  JSON.stringify({ failed_at: '2026/01/02 03:04:05 UTC', payload: { class: className, args: [{ a: 1 }] }, exception: 'RuntimeError', error, backtrace: [], worker: 'h:1:q', queue });

describe('nestjs-resque CLI', () => {
  test('queues --json: the queues with their sizes (and the age of the oldest job)', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const old = (Date.now() / 1000 - 50).toFixed(3);
    await redis.multi().sadd(keys.queues, 'mail', 'empty').rpush(keys.queue('mail'), `{"class":"A","args":[],"queue_time":${old}}`, '{"class":"A","args":[]}').exec();
    const run = await cli(['queues', '--json'], { REDIS_URL: server.url, PREFIX: prefix });
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as { name: string; size: number; latencySeconds: number }[];
    assert.deepEqual(list.map(({ name, size }) => ({ name, size })), [{ name: 'empty', size: 0 }, { name: 'mail', size: 2 }]);
    assert.ok(list[1]!.latencySeconds >= 49, String(list[1]!.latencySeconds));
    const human = await cli(['queues'], { REDIS_URL: server.url, PREFIX: prefix });
    assert.match(human.stdout, /^QUEUE +SIZE +OLDEST +PAUSED\nempty +0 +-\nmail +2 +\d+(\.\d+)?s\n$/);
  });

  test('failed list, retry (requeue + remove), remove, and clear only with --yes', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    await redis.rpush(keys.failed, failure('mail', 'SendMail', 'boom\u001b[31m'), failure('sms', 'SendSms', 'no credit'), failure('mail', 'SendMail', 'third'));

    const list = await cli(['failed', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const parsed = JSON.parse(list.stdout) as { total: number; jobs: { index: number; record: { queue: string } }[] };
    assert.equal(parsed.total, 3);
    assert.deepEqual(parsed.jobs.map((j) => [j.index, j.record.queue]), [[0, 'mail'], [1, 'sms'], [2, 'mail']]);
    const human = await cli(['failed', 'list'], env);
    assert.ok(!human.stdout.includes('\u001b'), 'text from Redis is escaped in human output');
    assert.match(human.stdout, /3 of 3 shown/);

    const show = await cli(['failed', 'show', '1'], env);
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout) as { index: number; record: { error: string; payload: { class: string } } };
    assert.equal(shown.index, 1);
    assert.equal(shown.record.error, 'no credit');
    assert.equal(shown.record.payload.class, 'SendSms');

    const retry = await cli(['failed', 'retry', '1'], env);
    assert.equal(retry.code, 0, retry.stderr);
    assert.deepEqual(await redis.lrange(keys.queue('sms'), 0, -1), ['{"class":"SendSms","args":[{"a":1}]}']);
    assert.equal(await redis.llen(keys.failed), 2);

    const remove = await cli(['failed', 'remove', '0'], env);
    assert.equal(remove.code, 0, remove.stderr);
    assert.equal(await redis.llen(keys.failed), 1);

    const missing = await cli(['failed', 'remove', '7'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'nestjs-resque: No failed job at index 7\n');

    const refused = await cli(['failed', 'clear'], env);
    assert.equal(refused.code, 1);
    assert.equal(await redis.llen(keys.failed), 1, 'nothing cleared without --yes');
    const clear = await cli(['failed', 'clear', '--yes'], env);
    assert.equal(clear.code, 0, clear.stderr);
    assert.equal(clear.stdout, 'removed 1 failed job(s)\n');
    assert.equal(await redis.exists(keys.failed), 0);
  });

  test("pause and resume write Ruby's pause-all-workers key; stats shows it", T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    assert.equal((await cli(['pause'], env)).code, 0);
    assert.equal(await redis.get(keys.pauseAllWorkers), 'true');
    const stats = JSON.parse((await cli(['stats', '--json'], env)).stdout) as { paused: boolean; processed: number };
    assert.equal(stats.paused, true);
    assert.equal(stats.processed, 0);
    assert.equal((await cli(['resume'], env)).code, 0);
    assert.equal(await redis.exists(keys.pauseAllWorkers), 0);
  });

  test('workers --json lists registered workers with their heartbeat and job', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    await redis
      .multi()
      .sadd(keys.workers, 'php:12:mail', 'ruby:13:*')
      .set(keys.worker('php:12:mail'), '{"queue":"mail","run_at":"2026-01-02T03:04:05Z","payload":{"class":"SendMail","args":[]}}')
      .hset(keys.heartbeats, 'ruby:13:*', '2026-01-02T03:04:05Z')
      .exec();
    const run = await cli(['workers', '--json'], { REDIS_URL: server.url, PREFIX: prefix });
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(run.stdout) as { id: string; job?: { queue: string }; heartbeat: string | null }[];
    assert.deepEqual(list.map((w) => [w.id, w.job?.queue ?? null, w.heartbeat]), [['php:12:mail', 'mail', null], ['ruby:13:*', null, '2026-01-02T03:04:05Z']]);
  });

  test('an unreachable Redis is one line and exit 1, without the password', T, async () => {
    const started = Date.now();
    const run = await cli(['queues'], { REDIS_URL: `redis://admin:s3cret-pw@127.0.0.1:${await freePort()}/2` });
    assert.equal(run.code, 1);
    assert.ok(Date.now() - started < 8_000, `took ${Date.now() - started} ms`);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^nestjs-resque: Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+\/2 \(REDIS_URL\) unreachable: .*ECONNREFUSED.*\n$/);
    assert.ok(!run.stderr.includes('s3cret'), run.stderr);
  });

  test('a malformed REDIS_URL and bad arguments are one line and exit 1', T, async () => {
    const bad = await cli(['stats'], { REDIS_URL: 'redis://user:pa/ss@host' });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.split('\n').filter(Boolean).length, 1, bad.stderr);
    assert.ok(!bad.stderr.includes('pa/ss'), bad.stderr);
    const unknown = await cli(['queus'], { REDIS_URL: server.url });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command 'queus'/);
    const index = await cli(['failed', 'retry', '-1'], { REDIS_URL: server.url });
    assert.equal(index.code, 1);
  });
});
