/**
 * End to end on a password-protected Sentinel set (requirepass on the primary and replicas,
 * another on the sentinels): a worker host given REDIS_SENTINELS, REDIS_SENTINEL_NAME, the data
 * nodes' password in REDIS_URL and the sentinels' in REDIS_SENTINEL_PASSWORD runs jobs, its
 * children reach the primary with the same credentials (they cross IPC), and neither password
 * appears in anything the host or its children print, before or after a failover.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ResqueClient } from '../../lib/client/resque-client.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import type { OwnedRedis } from '../../lib/redis/connection.js';
import { createResqueRedis } from '../../lib/redis/redis-client.provider.js';
import { E2E_QUEUE } from '../fixtures/queue.js';
import { SentinelSet, SENTINEL_GROUP } from '../support/redis-sentinel.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';

const TEST = { timeout: 90_000 };
const DATA_PASSWORD = 'data-s3cret-7f1c';
const SENTINEL_PASSWORD = 'sentinel-s3cret-2b9d';
const env = useHostTestEnvironment(); // its server is the witness
let set: SentinelSet | undefined;
let producer: OwnedRedis | undefined;

before(async () => {
  set = await SentinelSet.start({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
}, { timeout: 60_000 });
after(async () => {
  await env.hosts.killAll();
  producer?.client.disconnect();
  await set?.destroy();
});

describe('worker host on a password-protected Sentinel set', () => {
  test('runs jobs through a failover with REDIS_URL and REDIS_SENTINEL_PASSWORD credentials, printing neither', TEST, async () => {
    const prefix = uniquePrefix('sentinel-auth');
    const keys = new ResqueKeys(prefix);
    const connection = {
      REDIS_SENTINELS: set!.sentinelList,
      REDIS_SENTINEL_NAME: SENTINEL_GROUP,
      REDIS_URL: `redis://:${DATA_PASSWORD}@${SENTINEL_GROUP}`,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    };
    const host = env.hosts.start({ QUEUE: E2E_QUEUE, PREFIX: prefix, BLOCKING: '1', INTERVAL: '30', WITNESS_URL: env.server.url, ...connection });
    await host.waitForLine(/ started: /, 30_000);
    // The module's producer connection, from the same environment (INTERVAL=30: only its wake-ups make these prompt).
    producer = createResqueRedis({}, connection);
    const client = new ResqueClient({ redis: producer.client, keys, enqueueTimeoutMs: 10_000 });
    const push = (n: number) => client.enqueue(E2E_QUEUE, 'WitnessJob', { n });
    const performed = async () => (await env.redis.lrange(`${prefix}:witness`, 0, -1)).map((line) => Number(line.split(':')[0]));
    await waitFor(async () => ((await set!.client(await set!.primaryPort()).scard(keys.workers)) === 1 ? true : undefined), `the worker registered\n${host.output()}`, 30_000, 50);
    await push(1);
    await waitFor(async () => ((await performed()).includes(1) ? true : undefined), `job 1 performed\n${host.output()}`, 20_000, 50);

    const oldPort = await set!.primaryPort();
    await (await set!.primary()).kill();
    await set!.waitForPromotion(oldPort, 30_000);
    await push(2);
    await waitFor(async () => ((await performed()).includes(2) ? true : undefined), `job 2 performed after the failover\n${host.output()}`, 20_000, 50);

    const output = host.output();
    assert.ok(!output.includes(DATA_PASSWORD), `the data nodes' password printed:\n${output}`);
    assert.ok(!output.includes(SENTINEL_PASSWORD), `the sentinels' password printed:\n${output}`);
    assert.ok(host.running, output);
  });
});
