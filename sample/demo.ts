/**
 * `npm run demo`: the whole story in one command. Boots the sample HTTP app and a forked worker,
 * enqueues three users over HTTP (one with a bad email), shows them run and one fail, then stops.
 * Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a private redis-server if installed
 * (DEMO_PRIVATE_REDIS=1: always the private one). An unreachable REDIS_URL is one line and exit 1.
 */
import 'reflect-metadata';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { ResqueError } from '../lib/index.js';
import { parseRedisUrl, redactUrl } from '../lib/redis/redis-url.js';
import { RedisServer, isListening, freePort } from '../test/support/redis-server.js';
import { assertRedisReachable } from './redis-check.js';

const prefix = process.env.PREFIX ?? 'resque-demo';
let privateRedis: RedisServer | undefined;
let worker: ChildProcess | undefined;

function say(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}

/** A message and exit 1, as the worker does: no stack for a setting or a Redis that is not there. */
function fail(message: string): never {
  console.error(`demo: ${message}`);
  worker?.kill('SIGKILL');
  void privateRedis?.destroy();
  process.exit(1);
}

async function resolveRedis(): Promise<string> {
  if (process.env.REDIS_URL !== undefined) return process.env.REDIS_URL;
  if (process.env.DEMO_PRIVATE_REDIS !== '1' && (await isListening(6379))) return 'redis://127.0.0.1:6379';
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('No Redis: REDIS_URL is unset, nothing answers on 127.0.0.1:6379, and redis-server is not installed.');
    console.error('Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) or set REDIS_URL.');
    process.exit(1);
  }
  privateRedis = await RedisServer.start();
  return privateRedis.url;
}

async function main(): Promise<void> {
  const redisUrl = await resolveRedis();
  const redis = new Redis({ ...parseRedisUrl(redisUrl, 'REDIS_URL'), enableReadyCheck: false, maxRetriesPerRequest: 1 });
  await assertRedisReachable(redis, process.env.REDIS_URL !== undefined ? 'REDIS_URL' : 'the demo').catch((error: Error) => fail(error.message));
  redis.on('error', () => undefined); // a later outage shows in the worker's and the app's one-line reports
  say(`Redis at ${redactUrl(redisUrl)}, key prefix "${prefix}"`);
  process.env.REDIS_URL = redisUrl;
  process.env.PREFIX = prefix;
  const stale = await redis.keys(`${prefix}:*`);
  if (stale.length > 0) await redis.del(...stale);
  await redis.del('sample:users');

  say('Starting the worker: QUEUE=UserJobQueue COUNT=2 BLOCKING=1 node dist/sample/worker.js');
  worker = spawn(process.execPath, [fileURLToPath(new URL('./worker.js', import.meta.url))], {
    env: { ...process.env, QUEUE: 'UserJobQueue', COUNT: '2', BLOCKING: '1', INTERVAL: '5' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  say('Booting the HTTP app (sample/main.ts without the listen banner)');
  const { HttpModule } = await import('./http.module.js');
  const app = await NestFactory.create(HttpModule, { logger: ['error', 'warn'] });
  const port = await freePort();
  await app.listen(port, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;

  const users = [
    { name: 'Ada', email: 'ada@example.com' },
    { name: 'Grace', email: 'grace@example.com' },
    { name: 'Bob', email: 'not-an-email' },
  ];
  const ids: string[] = [];
  for (const user of users) {
    const response = await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    const { id } = (await response.json()) as { id: string };
    ids.push(id);
    console.log(`POST /users ${JSON.stringify(user)} -> job ${id}`);
  }

  say('Waiting for the jobs (status 1 waiting, 2 running, 3 failed, 4 complete)');
  const deadline = Date.now() + 30_000;
  let statuses: number[] = [];
  while (Date.now() < deadline) {
    statuses = await Promise.all(ids.map(async (id) => ((await (await fetch(`${base}/jobs/${id}`)).json()) as { status: number }).status));
    if (statuses.every((s) => s === 3 || s === 4)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  ids.forEach((id, i) => console.log(`GET /jobs/${id} -> status ${statuses[i]} (${users[i].email})`));

  say('Saved users (GET /users)');
  console.log(JSON.stringify(await (await fetch(`${base}/users`)).json(), null, 2));
  say('Failed jobs (GET /failed)');
  console.log(JSON.stringify(await (await fetch(`${base}/failed`)).json(), null, 2));

  say('ps aux | grep resque');
  console.log(execFileSync('sh', ['-c', 'ps -eo pid,args | grep "[r]esque-"']).toString().trimEnd());

  say('Stopping the worker with QUIT (finish running jobs, then exit)');
  worker.kill('SIGQUIT');
  await once(worker, 'exit');
  await app.close();
  redis.disconnect();

  if (privateRedis) {
    await privateRedis.destroy();
    say('Where to look');
    console.log('The private redis-server is stopped now, and its data with it. To look at the records, run the');
    console.log('demo against a Redis that stays (REDIS_URL=redis://127.0.0.1:6379 npm run demo), then:');
  } else {
    say('Where to look');
  }
  console.log(`redis-cli lrange ${prefix}:failed 0 -1      # failure records (all seven Resque fields)`);
  console.log(`redis-cli get ${prefix}:job:${ids[0]}:status   # php-resque status`);
  console.log(`redis-cli mget ${prefix}:stat:processed ${prefix}:stat:failed`);
  console.log('npm run start:worker / npm start      # the same two processes, long-running');
  const ok = statuses[0] === 4 && statuses[1] === 4 && statuses[2] === 3;
  say(ok ? 'Demo finished: 2 jobs completed, 1 failed as expected' : `Demo ended with unexpected statuses ${statuses.join(',')}`);
  process.exit(ok ? 0 : 1);
}

main().catch((error: Error) => fail(error instanceof ResqueError ? error.message : (error.stack ?? String(error))));
