/**
 * The CLI's additions, as a user runs it (a real process against a private redis-server): enqueue
 * from the shell, and a per-queue pause that a real worker honours.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Job, createInProcessWorker, type InProcessWorker, type JobContext, type ResqueJob } from '../../lib/index.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque, type ResqueTestApp } from '../support/resque-testing-module.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';

const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
const T = { timeout: 30_000 };
let server: RedisServer;
let redis: Redis;
const apps: ResqueTestApp[] = [];
const workers: Array<{ worker: InProcessWorker; running: Promise<void> }> = [];

const done: Array<{ queue: string; data: unknown }> = [];
@Job('a')
class RecordJob implements ResqueJob<unknown> {
  perform(data: unknown, context: JobContext): void {
    done.push({ queue: context.queue, data });
  }
}

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
}, { timeout: 30_000 });
after(async () => {
  for (const { worker, running } of workers) {
    worker.stop();
    await running;
  }
  for (const { app } of apps) await app.close();
  redis.disconnect();
  await server.destroy();
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const failure = (queue: string, className: string, exception: string, error: string) =>
  JSON.stringify({ failed_at: '2026/01/02 03:04:05 UTC', payload: { class: className, args: [{ a: 1 }] }, exception, error, backtrace: [], worker: 'h:1:q', queue });

/** The CLI on a pseudo-terminal (util-linux `script`), so stderr is a TTY as in a user's shell. */
function cliOnTty(args: string[], env: Record<string, string>): Promise<Run> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('nestjs-resque CLI: failed by filter, with progress', () => {
  test('list, retry and remove by queue, class, exception and text; an index and a filter together, or neither, is one line and exit 1', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    await redis.rpush(
      keys.failed,
      failure('mail', 'SendMail', 'SmtpError', 'connection reset'),
      failure('sms', 'SendSms', 'QuotaError', 'no credit'),
      failure('mail', 'SendMail', 'TypeError', 'x is undefined'),
      failure('mail', 'Digest', 'SmtpError', 'Mailbox FULL'),
    );
    const list = async (...args: string[]) => JSON.parse((await cli(['failed', 'list', '--json', ...args], env)).stdout) as { jobs: { index: number }[]; next: number | null };
    assert.deepEqual((await list('--queue', 'mail')).jobs.map((j) => j.index), [0, 2, 3]);
    assert.deepEqual((await list('--queue', 'mail', '--class', 'SendMail')).jobs.map((j) => j.index), [0, 2]);
    assert.deepEqual((await list('--exception', 'SmtpError')).jobs.map((j) => j.index), [0, 3]);
    assert.deepEqual((await list('--text', 'mailbox full')).jobs.map((j) => j.index), [3]);
    const paged = await list('--queue', 'mail', '--count', '1', '--start', '1');
    assert.deepEqual([paged.jobs.map((j) => j.index), paged.next], [[2], 3]);
    const human = await cli(['failed', 'list', '--exception', 'SmtpError'], env);
    assert.match(human.stdout, /2 matching shown; 4 in all\n$/);

    const retried = await cli(['failed', 'retry', '--exception', 'SmtpError'], env);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /^requeued 2 failed job\(s\) and removed their records \(4 record\(s\) looked at\)\n$/);
    assert.equal(retried.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.equal(await redis.llen(keys.queue('mail')), 2);
    assert.equal(await redis.llen(keys.failed), 2);
    const removed = JSON.parse((await cli(['failed', 'remove', '--queue', 'sms', '--json'], env)).stdout) as { acted: number; scanned: number };
    assert.deepEqual([removed.acted, removed.scanned], [1, 2]);

    for (const args of [['failed', 'retry'], ['failed', 'remove', '0', '--queue', 'mail'], ['failed', 'retry', '--all', '--keep']]) {
      const bad = await cli(args, env);
      assert.equal(bad.code, 1, args.join(' '));
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    }
    assert.equal(await redis.llen(keys.failed), 1, 'nothing done by the refused commands');
  });

  test('bulk operations draw a progress bar on a terminal, and none with --json', { ...T, skip: !hasScript() && 'no util-linux script(1)' }, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    const records = Array.from({ length: 2500 }, (_, i) => failure('mail', 'SendMail', 'SmtpError', `n${i}`));
    await redis.rpush(keys.failed, ...records);
    const json = await cliOnTty(['failed', 'retry', '--queue', 'mail', '--json'], env);
    assert.equal(json.code, 0, json.stdout);
    assert.ok(!json.stdout.includes('retrying ['), json.stdout);
    assert.equal((JSON.parse(json.stdout.trim()) as { acted: number }).acted, 2500);
    await redis.rpush(keys.failed, ...records);
    const bar = await cliOnTty(['failed', 'remove', '--all'], env);
    assert.equal(bar.code, 0, bar.stdout);
    assert.match(bar.stdout, /removing \[#{30}\] 100% 2,500\/2,500/);
    assert.match(bar.stdout, /removed 2500 failed job\(s\)/);
    assert.equal(await redis.llen(keys.failed), 0);
  });
});

describe('nestjs-resque CLI: enqueue, per-queue pause', () => {
  test('enqueue writes our payload and prints its id; bad JSON or a bad queue name is one line and exit 1', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    const run = await cli(['enqueue', 'mail', 'SendMail', '{"to":"a@example.com","n":9007199254740993}', '--track'], env);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(id, /^[0-9a-f]{32}$/);
    const [payload] = await redis.lrange(keys.queue('mail'), 0, -1);
    assert.match(payload!, new RegExp(`^\\{"class":"SendMail","args":\\[\\{"to":"a@example.com","n":9007199254740993\\}\\],"id":"${id}","queue_time":[\\d.]+\\}$`), 'big integers kept exact');
    assert.equal(await redis.sismember(keys.queues, 'mail'), 1);
    assert.equal(JSON.parse((await redis.get(keys.jobStatus(id)))!).status, 1, '--track: WAITING status');
    const json = await cli(['enqueue', 'mail', 'SendMail', '--json'], env);
    assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ['id', 'queue', 'class']);

    const bad = await cli(['enqueue', 'mail', 'SendMail', '{to:1}'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /not JSON/);
    const badQueue = await cli(['enqueue', 'a b', 'SendMail'], env);
    assert.equal(badQueue.code, 1);
    assert.match(badQueue.stderr, /queue name/);
    assert.equal(await redis.llen(keys.queue('mail')), 2);
  });

  test('pause <queue>: our workers take nothing from it (the others go on); resume: its jobs run', T, async () => {
    const prefix = uniquePrefix('cli');
    const keys = new ResqueKeys(prefix);
    const env = { REDIS_URL: server.url, PREFIX: prefix };
    const paused = await cli(['pause', 'a'], env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /within ~1 s/);
    assert.deepEqual(await redis.smembers(keys.pausedQueues), ['a']);
    assert.equal(await redis.exists(keys.pauseAllWorkers), 0, "Ruby's global key untouched");

    assert.equal((await cli(['enqueue', 'a', 'RecordJob', '1'], env)).code, 0);
    assert.equal((await cli(['enqueue', 'b', 'RecordJob', '2'], env)).code, 0);
    const booted = await bootResque(server, [RecordJob], { prefix, worker: { queues: ['a', 'b'], interval: 1 } });
    apps.push(booted);
    const worker = await createInProcessWorker(booted.app);
    workers.push({ worker, running: worker.run() });
    // `a` comes first in the worker's priority: had it not been paused, its job would have run first.
    await waitFor(() => done.length === 1, 'the job of b');
    assert.deepEqual(done, [{ queue: 'b', data: 2 }]);
    assert.equal(await redis.llen(keys.queue('a')), 1, 'the paused queue keeps its job');
    const queues = JSON.parse((await cli(['queues', '--json'], env)).stdout) as { name: string; paused: boolean }[];
    assert.deepEqual(queues.map((q) => [q.name, q.paused]), [['a', true], ['b', false]]);

    assert.equal((await cli(['resume', 'a'], env)).code, 0);
    assert.deepEqual(await redis.smembers(keys.pausedQueues), []);
    await waitFor(() => done.length === 2, 'the job of a, after resume');
    assert.deepEqual(done[1], { queue: 'a', data: 1 });
  });
});
