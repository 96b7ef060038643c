/**
 * End to end: two live hosts with the same hostname and the same pids (two containers on one
 * machine, each with its own PID namespace, as `unshare --pid` gives), sharing a queue. Their
 * children's Resque ids (hostname:pid:queues) would be the same: the second host must register
 * its children under other ids (hostname-2:...), and never settle the first host's running job
 * as a dead predecessor's. Needs `unshare --pid` (root); skipped with a message otherwise.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { parseWorkerId } from '../../lib/protocol/worker-id.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis } from './support/e2e-redis.js';

const TEST = { timeout: 60_000 };
const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const env = useHostTestEnvironment();

function unshareWorks(): string | undefined {
  try {
    execFileSync(UNSHARE[0], [...UNSHARE.slice(1), 'true'], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    return `unshare --pid is not available here (needs root): ${(error as Error).message.split('\n')[0]}`;
  }
}
const skip = unshareWorks();
if (skip) console.log(`# skipping the same-hostname test: ${skip}`);

describe('worker hosts with the same hostname and pids', { skip }, () => {
  test('the second host registers its children under other ids and leaves the first host\'s running job alone', TEST, async () => {
    // A first run builds the child bundle (its build forks processes, which shifts the pids of a
    // fresh namespace); from then on every fresh namespace hands out the same pids.
    const probe = new E2eRedis(env.server, env.redis);
    const warmUp = env.hosts.start(probe.env(), UNSHARE);
    await waitFor(async () => (await probe.workers()).length === 1, `a worker of the warm-up host\n${warmUp.output()}`, 30_000);
    await warmUp.killGroup();

    const t = new E2eRedis(env.server, env.redis);
    const vars = t.env({ COUNT: '2', HEARTBEAT_INTERVAL: '0.5', DEAD_AFTER: '5' });
    const first = env.hosts.start(vars, UNSHARE);
    const firstIds = await waitFor(async () => {
      const ids = await t.workers();
      return ids.length === 2 ? ids : undefined;
    }, `the first host's 2 workers\n${first.output()}`, 20_000);
    const slow = await t.pushPhp('SlowJob', { ms: 6_000, tag: 'first host' });
    await t.waitForStarted(1);

    const second = env.hosts.start(vars, UNSHARE);
    await second.waitForLine(/ started: /, 20_000);
    const all = await waitFor(async () => {
      const ids = await t.workers();
      return ids.length === 4 ? ids : undefined;
    }, `4 workers registered\n${first.output()}\n${second.output()}`, 20_000);
    console.log(`# first host: ${firstIds.join(', ')}; both: ${all.join(', ')}`);
    const here = hostname();
    for (const id of firstIds) assert.ok(all.includes(id), `the first host's ${id} still registered`);
    const others = all.filter((id) => !firstIds.includes(id));
    for (const id of others) {
      const parts = parseWorkerId(id);
      assert.ok(parts, `${id} reads as host:pid:queues`);
      assert.equal(parts.host, `${here}-2`);
      assert.ok(firstIds.some((mine) => parseWorkerId(mine)?.pid === parts.pid), `${id} has the pid of one of the first host's workers`);
    }
    // The first host's job runs to its end: nobody took it for a dead predecessor's.
    const done = await t.waitForDone(1, 15_000);
    assert.equal(done[0]!.job, 'SlowJob');
    assert.deepEqual(await t.failed(), [], 'no failure record (a DirtyExit would mean the job was settled as dead)');
    assert.equal((await t.status(slow))?.status, 4, 'COMPLETE');

    // Both hosts work the queue.
    for (let i = 0; i < 20; i++) await t.pushPhp('EchoJob', { i });
    const echoes = (await t.waitForDone(21, 20_000)).filter((entry) => entry.job === 'EchoJob');
    assert.equal(echoes.length, 20);
    assert.ok(first.running && second.running, `${first.output()}\n${second.output()}`);
  });
});
