/**
 * `npm run demo`: the whole story in one command. Boots the sample HTTP app and a forked worker,
 * enqueues three users over HTTP (one with a bad email), shows them run and one fail, then stops.
 * Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a private redis-server if installed.
 */
import 'reflect-metadata';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { RedisServer, isListening, freePort } from '../test/support/redis-server.js';

const prefix = process.env.PREFIX ?? 'resque-demo';
let privateRedis: RedisServer | undefined;
let worker: ChildProcess | undefined;

function say(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}

async function resolveRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  if (await isListening(6379)) return 'redis://127.0.0.1:6379';
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
  say(`Redis at ${redisUrl}, key prefix "${prefix}"`);
  process.env.REDIS_URL = redisUrl;
  process.env.PREFIX = prefix;
  const redis = new Redis(redisUrl);
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

  say('Where to look');
  const cli = privateRedis ? `redis-cli -p ${privateRedis.port}` : 'redis-cli';
  console.log(`${cli} lrange ${prefix}:failed 0 -1      # failure records (all seven Resque fields)`);
  console.log(`${cli} get ${prefix}:job:${ids[0]}:status   # php-resque status`);
  console.log(`${cli} mget ${prefix}:stat:processed ${prefix}:stat:failed`);
  console.log('npm run start:worker / npm start      # the same two processes, long-running');
  if (privateRedis) await privateRedis.destroy();
  const ok = statuses[0] === 4 && statuses[1] === 4 && statuses[2] === 3;
  say(ok ? 'Demo finished: 2 jobs completed, 1 failed as expected' : `Demo ended with unexpected statuses ${statuses.join(',')}`);
  process.exit(ok ? 0 : 1);
}

main().catch(async (error) => {
  console.error(error);
  worker?.kill('SIGKILL');
  await privateRedis?.destroy();
  process.exit(1);
});
