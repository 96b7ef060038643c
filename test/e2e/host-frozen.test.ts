/**
 * End to end: one host's network path to Redis freezes (a proxy stops forwarding, nothing is
 * closed) while another host, connected directly, keeps judging. The frozen host cannot be told
 * from a dead one, so its workers are recovered; when the path thaws and its jobs finish after all,
 * the late completion wins: the false failure is withdrawn (record, count, status), a requeued copy
 * is taken back from its queue, the job is counted once, and the live workers register again.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';
import type { HostProcess } from './support/host-process.js';

const TEST = { timeout: 60_000 };
const LIVENESS = { HEARTBEAT_INTERVAL: '0.3', DEAD_AFTER: '2' };
const env = useHostTestEnvironment();
let proxy: TcpProxy | undefined;
after(async () => {
  await proxy?.close();
});

/** The frozen host (through the proxy) and a judge host on a queue nobody uses, connected directly. */
async function frozenAndJudge(t: E2eRedis, concurrency: number): Promise<{ judge: HostProcess; frozen: HostProcess; proxy: TcpProxy }> {
  proxy ??= await TcpProxy.start(env.server.port);
  const judge = env.hosts.start(t.env({ ...LIVENESS, QUEUE: 'judge-only' }));
  const frozen = env.hosts.start(t.env({ ...LIVENESS, REDIS_URL: proxy.url, CONCURRENCY: String(concurrency) }));
  await judge.waitForLine(/ started: /);
  await frozen.waitForLine(/ started: /);
  return { judge, frozen, proxy };
}

describe('worker host: a frozen path to Redis', () => {
  test('failed as presumed dead, then completed: the failure is withdrawn, counted once, COMPLETE; the workers register again', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { judge, frozen, proxy } = await frozenAndJudge(t, 2);
    // 8 s jobs: still running when the path thaws (the judge recovers them 2-3 s into the freeze).
    const ids = [await t.pushPhp('SlowJob', { ms: 8000, tag: 'a' }), await t.pushPhp('SlowJob', { ms: 8000, tag: 'b' })];
    await t.waitForStarted(2);
    const [child] = await frozen.waitForChildren(1);
    const worker = `${hostname()}:${child}:e2e`;

    proxy.freeze();
    const failed = await t.waitForFailed(2, 20_000);
    assert.match(failed[0].error, /stopped sending heartbeats/);
    assert.equal(await t.stat('failed'), 2);
    assert.ok(!(await t.workers()).includes(worker), 'the judge unregistered the presumed-dead worker');
    assert.equal(await env.redis.exists(t.keys.worker(worker)), 0, 'its worker:<id> went with the recovery');
    proxy.thaw();

    // Registered again while its jobs still run: in `workers`, with `:started` and its "working on" record.
    const record = await waitFor(() => env.redis.get(t.keys.worker(worker)).then((raw) => raw ?? undefined), `worker:${worker} written again\n${frozen.output()}`, 5_000);
    assert.ok(ids.includes((JSON.parse(record) as { payload: { id: string } }).payload.id), record);
    assert.ok((await t.workers()).includes(worker));
    await t.waitForDone(2, 20_000);
    await waitFor(async () => (await t.failed()).length === 0, `the false failures withdrawn\n${frozen.output()}\n${judge.output()}`, 10_000);
    assert.equal(await t.stat('failed'), 0);
    assert.equal(await t.stat('processed'), 2, 'each job counted once');
    for (const id of ids) await waitFor(async () => (await t.status(id))?.status === 4, `status of ${id} COMPLETE`);
    await waitFor(async () => (await t.workers()).includes(worker), 'the live worker registered again');
    assert.ok((await env.redis.exists(t.keys.workerStarted(worker))) === 1, 'with its :started key');
    assert.equal((await t.done()).length, 2, 'each job ran once');
  });

  test('requeued as presumed dead, then completed: the queued copy is taken back, the job runs once', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { frozen, proxy } = await frozenAndJudge(t, 1);
    await t.push('SlowRetryJob', { ms: 3000, tag: 'r' });
    await t.waitForStarted(1);
    await frozen.waitForChildren(1);

    proxy.freeze();
    await waitFor(async () => (await t.queueLength()) === 1, 'the job requeued by the judge', 20_000);
    proxy.thaw();

    await t.waitForDone(1, 20_000);
    await waitFor(async () => (await t.queueLength()) === 0, 'the requeued copy taken back', 10_000);
    // Nothing left to run it again: no queued copy, nothing in flight.
    await waitFor(async () => {
      const keys = await t.inflightKeys();
      const sizes = await Promise.all(keys.map((key) => env.redis.hlen(key)));
      return sizes.every((n) => n === 0);
    }, 'nothing in flight');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a second run would have started by now
    assert.equal((await t.done()).length, 1, 'the job ran once');
    assert.deepEqual(await t.failed(), []);
    assert.equal(await t.stat('processed'), 1);
  });
});
