/**
 * End to end on Redis Sentinel: 1 primary, 2 replicas and 3 sentinels started by the test, a real
 * forked worker host (REDIS_SENTINELS) and a producer enqueueing continuously through the module's
 * own connection factory. The primary is killed (SIGKILL), or demoted by SENTINEL FAILOVER while
 * it stays up; producers and workers must resume on the new primary without any restart, lose no
 * job whose enqueue returned, and idle workers (blocked in XREAD on the wake-up stream) must wake
 * for jobs enqueued after the failover (INTERVAL=30, so no poll can rescue a stalled one).
 * Jobs record themselves on a separate Redis (the witness), which no failover touches.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ResqueClient } from '../../lib/client/resque-client.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { createResqueRedis } from '../../lib/redis/redis-client.provider.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { E2E_QUEUE } from '../fixtures/queue.js';
import { SentinelSet, SENTINEL_GROUP } from '../support/redis-sentinel.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';

const TEST = { timeout: 120_000 };
/** The producer's waitForReplicas (WAIT): 1 keeps every returned enqueue through a crash; 0 shows what asynchronous replication loses. */
const WAIT_FOR_REPLICAS = Number(process.env.SENTINEL_TEST_WAIT_REPLICAS ?? 1);
const CLI = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));
const env = useHostTestEnvironment(); // its server is the witness
let set: SentinelSet | undefined;
const producers: OwnedRedis[] = [];

before(async () => {
  set = await SentinelSet.start({ replicas: 2, sentinels: 3, downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
}, { timeout: 60_000 });
after(async () => {
  await env.hosts.killAll();
  for (const producer of producers) producer.client.disconnect();
  await set?.destroy();
});

interface Accepted {
  readonly n: number;
  readonly at: number;
}

/** Enqueues WitnessJob {n} back to back (a short pause between calls) until stopped; failed calls are counted, never retried. */
class Producer {
  readonly accepted: Accepted[] = [];
  readonly failedCalls: number[] = [];
  private n = 0;
  private running = true;
  readonly done: Promise<void>;

  constructor(private readonly client: ResqueClient) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = this.n++;
      try {
        await this.client.enqueue(E2E_QUEUE, 'WitnessJob', { n });
        this.accepted.push({ n, at: Date.now() });
      } catch {
        this.failedCalls.push(n);
        await sleep(20);
      }
      await sleep(3);
    }
  }

  get next(): number {
    return this.n;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

function sentinelEnv(): Record<string, string> {
  return { REDIS_SENTINELS: set!.sentinelList, REDIS_SENTINEL_NAME: SENTINEL_GROUP };
}

async function witnessed(prefix: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const line of await env.redis.lrange(`${prefix}:witness`, 0, -1)) {
    const n = Number(line.split(':')[0]);
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

async function performedTimes(prefix: string): Promise<number[]> {
  return (await env.redis.lrange(`${prefix}:witness`, 0, -1)).map((line) => Number(line.split(':')[2])).sort((a, b) => a - b);
}

/** The longest pause between two consecutive times around `from` (the failover): how long nothing went through. */
function longestGap(times: readonly number[], from: number): number {
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < from - 1_000) continue;
    longest = Math.max(longest, times[i]! - times[i - 1]!);
  }
  return longest;
}

async function failoverUnderLoad(trigger: 'SIGKILL' | 'SENTINEL FAILOVER'): Promise<void> {
  const prefix = uniquePrefix('sentinel');
  const keys = new ResqueKeys(prefix);
  const host = env.hosts.start({
    QUEUE: E2E_QUEUE,
    COUNT: '2',
    PREFIX: prefix,
    BLOCKING: '1',
    INTERVAL: '30',
    HEARTBEAT_INTERVAL: '1',
    DEAD_AFTER: '10',
    WITNESS_URL: env.server.url,
    ...sentinelEnv(),
  });
  await host.waitForLine(/ started: /, 30_000);
  const children = await host.waitForChildren(2);

  const owned = createResqueRedis({}, sentinelEnv());
  producers.push(owned);
  const producer = new Producer(new ResqueClient({ redis: owned.client, keys, enqueueTimeoutMs: 2_000, waitForReplicas: WAIT_FOR_REPLICAS }));
  await waitFor(async () => ((await env.redis.llen(`${prefix}:witness`)) >= 300 ? true : undefined), `300 jobs performed before the failover\n${host.output()}`, 30_000, 20);

  const oldPort = await set!.primaryPort();
  const firstAfter = producer.next;
  const t0 = Date.now();
  if (trigger === 'SIGKILL') await (await set!.primary()).kill();
  else await set!.client(set!.sentinels[0]!.port).call('SENTINEL', 'FAILOVER', SENTINEL_GROUP);
  const newPort = await set!.waitForPromotion(oldPort, 30_000);
  const promoted = Date.now();
  const resumed = (await waitFor(() => producer.accepted.find((a) => a.n >= firstAfter), `an enqueue accepted after the ${trigger}`, 30_000, 10)).at;
  await waitFor(async () => {
    for (const n of (await witnessed(prefix)).keys()) if (n >= firstAfter && producer.accepted.some((a) => a.n === n)) return true;
    return undefined;
  }, `a job enqueued after the ${trigger} performed\n${host.output()}`, 30_000, 10);
  const flowing = Date.now();
  await sleep(2_000); // load keeps going on the new primary for a while
  await producer.stop();

  const gaps = { enqueue: longestGap(producer.accepted.map((a) => a.at), t0), perform: longestGap(await performedTimes(prefix), t0) };

  // Every enqueue that returned is performed.
  const accepted = new Set(producer.accepted.map((a) => a.n));
  await waitFor(async () => {
    const seen = await witnessed(prefix);
    return [...accepted].every((n) => seen.has(n)) ? true : undefined;
  }, 'every accepted job performed', 20_000, 50).catch(() => undefined);
  const seen = await witnessed(prefix);
  const lost = [...accepted].filter((n) => !seen.has(n));
  const duplicates = [...seen.values()].filter((count) => count > 1).length;
  const extra = [...seen.keys()].filter((n) => !accepted.has(n)).length; // failed calls that were stored anyway

  // Idle workers sit in XREAD BLOCK on the new primary; jobs enqueued now must wake them (INTERVAL=30: no poll will).
  const primary = set!.client(newPort);
  await waitFor(async () => {
    const list = String(await primary.call('CLIENT', 'LIST', 'TYPE', 'normal'));
    return (list.match(/ cmd=xread /g) ?? []).length >= 2 ? true : undefined;
  }, `both workers blocked in XREAD on the new primary\n${host.output()}`, 15_000, 50);
  const client = new ResqueClient({ redis: owned.client, keys, enqueueTimeoutMs: 2_000 });
  const late: number[] = [];
  for (let i = 0; i < 20; i++) {
    const n = 1_000_000 + i;
    await client.enqueue(E2E_QUEUE, 'WitnessJob', { n });
    late.push(n);
  }
  const wokeAt = Date.now();
  await waitFor(async () => {
    const now = await witnessed(prefix);
    return late.every((n) => now.has(n)) ? true : undefined;
  }, `the 20 jobs enqueued after the failover performed (a stalled worker would wait INTERVAL=30 s)\n${host.output()}`, 10_000, 20);
  const lateMs = Date.now() - wokeAt;

  console.log(
    `# ${trigger} (waitForReplicas ${WAIT_FOR_REPLICAS}): promotion ${promoted - t0} ms after the ${trigger}; producer resumed after ${resumed - t0} ms; jobs flowing again after ${flowing - t0} ms ` +
      `(${flowing - promoted} ms after the promotion); longest pause: enqueues ${gaps.enqueue} ms, jobs performed ${gaps.perform} ms; accepted ${accepted.size}, lost ${lost.length}, duplicates ${duplicates}, ` +
      `failed enqueue calls ${producer.failedCalls.length} (${extra} of them stored anyway); 20 jobs enqueued to idle workers performed in ${lateMs} ms`,
  );
  assert.deepEqual(lost.slice(0, 20), [], `${lost.length} accepted job(s) never performed\n${host.output()}`);
  assert.ok(host.running, `the host kept running\n${host.output()}`);
  assert.deepEqual(host.children().sort(), children.sort(), `the same children, none restarted\n${host.output()}`);
  await host.killGroup();
}

/** Runs the CLI with only PATH and the given variables; killed after 10 s whatever happens. */
function cli(args: string[], vars: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...vars }, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('worker host on Redis Sentinel', () => {
  test('the CLI reaches the primary through REDIS_SENTINELS; a bad REDIS_SENTINELS is one line, its secret hidden', TEST, async () => {
    const prefix = uniquePrefix('sentinel-cli');
    const primary = set!.client(await set!.primaryPort());
    await primary.multi().sadd(`${prefix}:queues`, 'mail').rpush(`${prefix}:queue:mail`, '{"class":"A","args":[]}').exec();
    const run = await cli(['queues', '--json'], { ...sentinelEnv(), PREFIX: prefix });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"mail"/);

    const bad = await cli(['queues'], { REDIS_SENTINELS: 'user:s3cret@127.0.0.1:1', REDIS_SENTINEL_NAME: SENTINEL_GROUP });
    assert.equal(bad.code, 1);
    assert.ok(!`${bad.stdout}${bad.stderr}`.includes('s3cret'));
    assert.match(bad.stderr.trim(), /^[^\n]*REDIS_SENTINELS=<\d+ characters hidden> entry 1 must be host:port[^\n]*$/);

    const host = env.hosts.start({ QUEUE: E2E_QUEUE, PREFIX: prefix, REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_PASSWORD: 'pw-s3cret' });
    const exit = await host.waitForExit(20_000);
    assert.equal(exit.code, 1, host.output());
    assert.ok(!host.output().includes('pw-s3cret'));
    assert.match(host.stderr.join('\n'), /InvalidSentinelSettingError|REDIS_SENTINEL_NAME="" must name/);
  });

  test('SIGKILL of the primary under load: producers and workers resume on the promoted replica, nothing lost, no worker stalled', TEST, async () => {
    await failoverUnderLoad('SIGKILL');
  });

  test('SENTINEL FAILOVER under load (the old primary is demoted and stays up): same', TEST, async () => {
    await failoverUnderLoad('SENTINEL FAILOVER');
  });
});
