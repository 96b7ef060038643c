/**
 * Events across processes: a real worker host with PUBLISH_EVENTS=1 runs the jobs; this test's
 * process, a separate Nest application on the same Redis and prefix, observes their outcomes
 * (JobOutcomes.events$) and waits for them by id (QueueService.waitFor), including a job that
 * finished before the wait began.
 */
import 'reflect-metadata';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, take, toArray } from 'rxjs';
import { JobOutcomes, JobWaitTimeoutError, QueueService, type JobOutcome } from '../../lib/index.js';
import { bootResque, type ResqueTestApp } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';
import { E2eRedis } from './support/e2e-redis.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';

const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();
const apps: ResqueTestApp[] = [];
after(async () => {
  for (const { app } of apps) await app.close();
});

async function producer(t: E2eRedis): Promise<{ queue: QueueService; outcomes: JobOutcomes }> {
  const booted = await bootResque(env.server, [], { prefix: t.prefix });
  apps.push(booted);
  return { queue: booted.app.get(QueueService), outcomes: booted.app.get(JobOutcomes) };
}

describe('events across processes', () => {
  test('waitFor resolves with job.completed / job.failed from a forked worker; events$ sees both', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { queue, outcomes } = await producer(t);
    const seen = firstValueFrom(outcomes.events$.pipe(take(2), toArray()));
    await outcomes.ready();
    env.hosts.start(t.env({ PUBLISH_EVENTS: '1' }));

    const ok = (await queue.enqueue('e2e', 'EchoJob', { n: 1 }))!;
    const bad = (await queue.enqueue('e2e', 'NoSuchJob', { n: 2 }))!;
    const [completed, failed] = await Promise.all([queue.waitFor(ok, { timeout: 20_000 }), queue.waitFor(bad, { timeout: 20_000 })]);

    assert.equal(completed.type, 'job.completed');
    assert.equal(completed.id, ok);
    assert.equal(completed.className, 'EchoJob');
    assert.equal(completed.queue, 'e2e');
    assert.match(completed.workerId, /:e2e$/);
    assert.ok(completed.durationMs >= 0);
    assert.equal(failed.type, 'job.failed');
    assert.equal(failed.type === 'job.failed' && failed.error.exception, 'UnknownJobClassError');
    assert.match(failed.type === 'job.failed' ? failed.error.message : '', /NoSuchJob/);
    // Published after the acknowledgement: the job is counted by then.
    assert.equal(await t.stat('processed'), 2);

    const events = await seen;
    assert.deepEqual(events.map((e: JobOutcome) => [e.type, e.id]), [['job.completed', ok], ['job.failed', bad]]);
  });

  test('waitFor of a job that already finished resolves from its result record; an unknown id times out', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { queue, outcomes } = await producer(t);
    env.hosts.start(t.env({ PUBLISH_EVENTS: '1' }));
    const id = (await queue.enqueue('e2e', 'EchoJob', { n: 3 }))!;
    await t.waitForDone(1);
    const bucket = await waitFor(async () => {
      const [key] = await env.redis.keys(`${t.prefix}:results:*`);
      return key !== undefined && (await env.redis.hexists(key, id)) === 1 ? key : undefined;
    }, 'the result record');
    const ttl = await env.redis.ttl(bucket);
    assert.ok(ttl > 120 && ttl <= 180, `the bucket expires (EVENT_RESULT_TTL default 120 + 60 s), ttl ${ttl}`);

    const outcome = await outcomes.waitFor(id, { timeout: 5_000 });
    assert.equal(outcome.type, 'job.completed');

    await assert.rejects(outcomes.waitFor('0123456789abcdef0123456789abcdef', { timeout: 200 }), (error: unknown) => {
      assert.ok(error instanceof JobWaitTimeoutError);
      assert.equal(error.name, 'JobWaitTimeoutError');
      assert.equal(error.timeoutMs, 200);
      return true;
    });
  });

  test('a job whose process died is failed by the host (DirtyExit), and that outcome is published too', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { queue } = await producer(t);
    env.hosts.start(t.env({ PUBLISH_EVENTS: '1' }));
    const id = (await queue.enqueue('e2e', 'ExitJob', { code: 3 }))!;
    const outcome = await queue.waitFor(id, { timeout: 20_000 });
    assert.equal(outcome.type, 'job.failed');
    assert.equal(outcome.className, 'ExitJob');
    assert.equal(outcome.type === 'job.failed' && outcome.error.exception, 'DirtyExit');
    assert.equal((await t.waitForFailed(1))[0]!.exception, 'DirtyExit');
  });

  test('a worker without PUBLISH_EVENTS publishes nothing: no result record, events$ silent', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const { queue, outcomes } = await producer(t);
    const heard: JobOutcome[] = [];
    const subscription = outcomes.events$.subscribe((e) => heard.push(e));
    await outcomes.ready();
    env.hosts.start(t.env());
    const id = (await queue.enqueue('e2e', 'EchoJob', { n: 4 }))!;
    await t.waitForDone(1);
    await waitFor(async () => (await t.stat('processed')) === 1, 'the acknowledgement');
    assert.deepEqual(await env.redis.keys(`${t.prefix}:results:*`), []);
    await assert.rejects(queue.waitFor(id, { timeout: 300 }), JobWaitTimeoutError);
    subscription.unsubscribe();
    assert.deepEqual(heard, []);
  });
});
