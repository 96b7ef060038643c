/** The health checks against a real forked host: its children's heartbeats make the queue's workers alive; once it is gone and the heartbeats age, they are not. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWorkers } from '../../lib/health/resque-health-checks.js';
import { waitFor } from '../support/wait.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';
import { E2eRedis, E2E_QUEUE } from './support/e2e-redis.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();

describe('health: workers alive for a queue, from a real host', () => {
  test('two children heartbeat: the queue has 2 live workers; after the host is killed they go stale', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const host = env.hosts.start(t.env({ COUNT: '2', HEARTBEAT_INTERVAL: '0.2', DEAD_AFTER: '60' }));
    const up = await waitFor(async () => {
      const outcome = await checkWorkers(env.redis, t.keys, { queues: [E2E_QUEUE], min: 2, maxAgeSeconds: 2 }, 1000);
      return outcome.healthy ? outcome : undefined;
    }, `two live workers\n${host.output()}`, 20_000, 100);
    assert.deepEqual(up.data, { workers: { [E2E_QUEUE]: 2 } });
    const other = await checkWorkers(env.redis, t.keys, { queues: ['nobody-works-this'] }, 1000);
    assert.equal(other.healthy, false);

    await host.killGroup();
    const down = await waitFor(async () => {
      const outcome = await checkWorkers(env.redis, t.keys, { queues: [E2E_QUEUE], maxAgeSeconds: 1 }, 1000);
      return outcome.healthy ? undefined : outcome;
    }, 'the killed host\'s workers to go stale', 10_000, 100);
    assert.deepEqual(down.data.workers, { [E2E_QUEUE]: 0 });
  });
});
