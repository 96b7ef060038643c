/**
 * End to end on a real Redis Cluster (3 primaries + 3 replicas started by the test): a producer on
 * an ioredis Cluster enqueues, a real worker host connected by REDIS_CLUSTER runs, fails and
 * recovers jobs, promotes delayed ones; a prefix without a hash tag is refused by name.
 */
import 'reflect-metadata';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { Test } from '@nestjs/testing';
import { DelayedJobs, JobStatus, QueueService, ResqueClient, ResqueModule, UntaggedClusterPrefixError } from '../../lib/index.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait.js';
import { E2eRedis, E2E_QUEUE, FAILURE_FIELDS } from './support/e2e-redis.js';
import { Hosts } from './support/host-process.js';

const TEST = { timeout: 60_000 };
let cluster: RedisCluster | undefined;
let redis: Cluster | undefined;
const hosts = new Hosts();

before(async () => {
  cluster = await RedisCluster.start({ primaries: 3, replicasPerPrimary: 1 });
  redis = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 3 } });
  redis.on('error', () => undefined);
}, { timeout: 60_000 });
afterEach(() => hosts.killAll());
after(async () => {
  await hosts.killAll();
  redis?.disconnect();
  await cluster?.destroy();
});

function producer(t: E2eRedis): ResqueClient {
  return new ResqueClient({ redis: redis!, keys: t.keys });
}

describe('Redis Cluster', () => {
  test('a producer on a Cluster enqueues under a hash-tagged prefix: every key on one primary', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const client = producer(t);
    const id = await client.enqueue(E2E_QUEUE, 'EchoJob', { n: 1 }, true);
    assert.equal(await client.size(E2E_QUEUE), 1);
    assert.deepEqual(await client.queues(), [E2E_QUEUE]);
    assert.equal((await client.status(id))?.status, JobStatus.Waiting);
    const owners = new Set(await Promise.all([t.keys.queue(E2E_QUEUE), t.keys.queues, t.keys.jobStatus(id), t.keys.wake].map((key) => cluster!.primaryFor(key))));
    assert.equal(owners.size, 1, 'one slot, one primary');
  });

  test('ResqueModule.forRoot({ connection: { cluster } }): {resque} by default, other namespaces on other slots, untagged refused', TEST, async () => {
    const app = await Test.createTestingModule({ imports: [ResqueModule.forRoot({ connection: { cluster: cluster!.nodes } })] }).compile();
    try {
      const queues = app.get(QueueService);
      const id = await queues.enqueue(E2E_QUEUE, 'EchoJob', { n: 1 });
      assert.equal(typeof id, 'string');
      assert.equal(await redis!.llen('{resque}:queue:e2e'), 1);
      await queues.namespace('{resque-b}').enqueue(E2E_QUEUE, 'EchoJob', { n: 2 });
      assert.equal(await redis!.llen('{resque-b}:queue:e2e'), 1);
      assert.throws(() => queues.namespace('resque-c'), UntaggedClusterPrefixError);
    } finally {
      await app.close();
      await redis!.del('{resque}:queue:e2e', '{resque}:queues', '{resque}:wake');
      await redis!.del('{resque-b}:queue:e2e', '{resque-b}:queues', '{resque-b}:wake');
    }
  });

  test('waitForReplicas on a cluster: WAIT goes to the primary that took the writes', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const primary = await cluster!.primaryFor(t.keys.queues);
    const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await cluster!.ask(primary, 'INFO', 'commandstats')))?.[1] ?? 0);
    const before = await waits();
    const client = new ResqueClient({ redis: redis!, keys: t.keys, waitForReplicas: 1 });
    for (let n = 0; n < 5; n++) await client.enqueue(E2E_QUEUE, 'EchoJob', { n });
    assert.equal((await waits()) - before, 5);
    assert.equal(await client.size(E2E_QUEUE), 5);
  });

  test('a worker host with REDIS_CLUSTER runs jobs, records a failure, and ends statuses COMPLETE', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const client = producer(t);
    hosts.start(t.env({ COUNT: '2' }));
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => client.enqueue(E2E_QUEUE, 'EchoJob', { n }, true)));
    await client.enqueue(E2E_QUEUE, 'NoSuchJob', { x: 1 });
    const done = await t.waitForDone(20, 30_000);
    assert.deepEqual(done.map((d) => (d.data as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 20 }, (_, n) => n));
    for (const id of ids) await waitFor(async () => (await client.status(id))?.status === JobStatus.Complete, `status of ${id} COMPLETE`);
    const [record] = await t.waitForFailed(1);
    assert.deepEqual(Object.keys(record), [...FAILURE_FIELDS]);
    assert.equal(record.exception, 'UnknownJobClassError');
    assert.equal(await t.stat('failed'), 1);
    await waitFor(async () => (await t.stat('processed')) === 21, 'processed = 21 (failures count, as in Ruby and PHP)');
  });

  test('a child killed mid-job: its job is recovered (DirtyExit) by the host, the next job runs', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const client = producer(t);
    hosts.start(t.env());
    await client.enqueue(E2E_QUEUE, 'KillSelfJob', {});
    await client.enqueue(E2E_QUEUE, 'EchoJob', { after: 'kill' });
    const [record] = await t.waitForFailed(1, 20_000);
    assert.equal(record.exception, 'DirtyExit');
    assert.match(record.error, /killed by SIGKILL while processing/);
    await t.waitForDone(1, 20_000);
    await waitFor(async () => (await redis!.hlen(t.keys.inflight(record.worker))) === 0, 'nothing left in flight for the dead worker');
  });

  // Scripts that build keys inside Lua from a prefix passed in ARGV (exchange.lua's returned jobs and
  // status keys, promote.lua's targets; recover.lua now declares its keys): on a cluster they touch
  // only keys of the script's own slot, which Redis 7.0 accepts undeclared (the first test below).
  test('what Redis 7.0 enforces for undeclared keys in a script: another node\'s refused, its own node\'s run', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const own = await redis!.eval("return redis.call('SET', ARGV[1], 'x')", 1, t.keys.queues, t.keys.queue('undeclared'));
    assert.equal(own, 'OK');
    // Redis 7.0 refuses a key another node serves; a key of another slot on the same node it runs
    // (found here): only the layout, one tag per namespace, keeps every key in the script's slot.
    const home = await cluster!.primaryFor(t.keys.queues);
    let elsewhere = '', sameNode = '';
    for (let i = 0; !elsewhere || !sameNode; i++) {
      const key = `probe-${i}`;
      if ((await cluster!.primaryFor(key)) === home) sameNode ||= key;
      else elsewhere ||= key;
    }
    await assert.rejects(redis!.eval("return redis.call('SET', ARGV[1], 'x')", 1, t.keys.queues, elsewhere), /non local key/);
    assert.equal(await redis!.eval("return redis.call('SET', ARGV[1], 'x')", 1, t.keys.queues, sameNode), 'OK');
    await redis!.del(sameNode);
  });

  test('QUEUE=* on a cluster: the host reads the queues set and runs their jobs', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    hosts.start(t.env({ QUEUE: '*' }));
    await producer(t).enqueue(E2E_QUEUE, 'EchoJob', { star: true });
    const [done] = await t.waitForDone(1, 20_000);
    assert.deepEqual(done.data, { star: true });
  });

  test('a retryOnCrash job whose child died is put back by recovery and runs again (recover.lua requeue)', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    hosts.start(t.env());
    const id = await producer(t).enqueue(E2E_QUEUE, 'CrashOnceJob', { once: true }, true);
    const [done] = await t.waitForDone(1, 20_000);
    assert.equal(done.job, 'CrashOnceJob');
    await waitFor(async () => (await producer(t).status(id))?.status === JobStatus.Complete, 'COMPLETE after the requeue');
    assert.deepEqual(await t.failed(), []);
  });

  test('a dead host: its worker is recovered by another host once its heartbeat is stale', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const client = producer(t);
    const settings = { HEARTBEAT_INTERVAL: '0.5', DEAD_AFTER: '2' };
    const first = hosts.start(t.env(settings));
    await client.enqueue(E2E_QUEUE, 'SlowJob', { ms: 60_000 });
    await t.waitForStarted(1, 20_000);
    await first.killGroup(); // the host and its child: nobody heartbeats that worker any more
    hosts.start(t.env(settings));
    const [record] = await t.waitForFailed(1, 20_000);
    assert.equal(record.exception, 'DirtyExit');
    assert.equal(await redis!.hlen(t.keys.inflight(record.worker)), 0);
  });

  test('delayed jobs are promoted by the host scheduler on the cluster', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const delayed = new DelayedJobs(producer(t));
    hosts.start(t.env());
    const due = Date.now() + 1_000;
    const id = await delayed.enqueueAt(due, E2E_QUEUE, 'EchoJob', { due }, true);
    await delayed.enqueueIn(0, E2E_QUEUE, 'EchoJob', { due: 0 });
    const done = await t.waitForDone(2, 20_000);
    const late = done.find((entry) => (entry.data as { due: number }).due === due)!;
    assert.ok(late.at! >= due, 'never early');
    await waitFor(async () => (await producer(t).status(id))?.status === JobStatus.Complete, 'the delayed job COMPLETE');
    assert.equal(await delayed.count(), 0);
  });

  test('the CLI with REDIS_CLUSTER: queues and stats of a tagged namespace; an untagged PREFIX is one line, exit 1', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    await producer(t).enqueueBulk(E2E_QUEUE, 'EchoJob', [{ n: 1 }, { n: 2 }]);
    const cli = (args: string[], prefix: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const main = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
        execFile(process.execPath, [main, ...args], { env: { PATH: process.env.PATH ?? '', REDIS_CLUSTER: cluster!.seeds, PREFIX: prefix }, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
        );
      });
    const queues = await cli(['queues', '--json'], t.prefix);
    assert.equal(queues.code, 0, queues.stderr);
    assert.deepEqual((JSON.parse(queues.stdout) as { name: string; size: number }[]).map(({ name, size }) => ({ name, size })), [{ name: E2E_QUEUE, size: 2 }]);
    assert.equal((await cli(['stats'], t.prefix)).code, 0);
    const untagged = await cli(['queues'], 'resque');
    assert.equal(untagged.code, 1);
    assert.match(untagged.stderr.trim(), /^.*UntaggedClusterPrefixError|PREFIX="resque" has no hash tag/);
    assert.equal(untagged.stderr.trim().split('\n').length, 1);
  });

  test('a prefix without a hash tag on a cluster: refused by name (the module in the child, so the host exits 1)', TEST, async () => {
    const t = E2eRedis.onCluster(cluster!.seeds, redis!);
    const host = hosts.start(t.env({ PREFIX: 'resque' }));
    const exit = await host.waitForExit(30_000);
    assert.equal(exit.code, 1);
    assert.match(host.output(), /UntaggedClusterPrefixError: ResqueModule's prefix="resque" has no hash tag.*"\{resque\}"/);
    assert.equal(await redis!.exists('resque:queues'), 0, 'nothing written under the untagged prefix');
  });
});
