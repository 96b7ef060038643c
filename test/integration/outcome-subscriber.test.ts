// The observing side of events across processes, against real Redis: waitFor resolves from the
// record after its subscriber lost a message (a reconnect), and untrusted messages are dropped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { OutcomeSubscriber } from '../../lib/events/outcome-subscriber.js';
import { encodeOutcome, type JobOutcome } from '../../lib/protocol/job-outcome.js';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { publishOutcomes } from '../../lib/protocol/scripts/publish-outcomes.js';
import { RedisServer } from '../support/redis-server.js';
import { uniquePrefix } from '../support/unique.js';

let server: RedisServer;
let redis: Redis;
const subscribers: OutcomeSubscriber[] = [];
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
after(async () => {
  for (const s of subscribers) await s.close();
  redis.disconnect();
  await server.destroy();
});

const outcome = (id: string): JobOutcome => ({ type: 'job.completed', queue: 'q', className: 'A', id, workerId: 'h:1:q', durationMs: 1 });

test('a message lost while the subscriber was disconnected: waitFor resolves from the record once it is back', { timeout: 20_000 }, async () => {
  const keys = new ResqueKeys(uniquePrefix('outcomes'));
  const subscriber = new OutcomeSubscriber(redis, keys, 120);
  subscribers.push(subscriber);
  const waiting = subscriber.waitFor('lost-1', { timeout: 15_000 });
  await subscriber.ready();
  // Killed and published in one transaction: no subscriber is left to receive the message.
  const admin = new Redis(server.url);
  try {
    const [[, killed], [, receivers]] = (await admin
      .multi()
      .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
      .publish(keys.events, '[]')
      .exec()) as [[null, number], [null, number]];
    assert.equal(killed, 1);
    assert.equal(receivers, 0);
    assert.equal(await publishOutcomes(admin, keys, [{ id: 'lost-1', record: encodeOutcome(outcome('lost-1')) }], 120), 0, 'nobody subscribed when it was published');
  } finally {
    admin.disconnect();
  }
  assert.deepEqual(await waiting, outcome('lost-1'));
});

test('messages that are not outcomes, or on another prefix, reach neither events$ nor waitFor', { timeout: 20_000 }, async () => {
  const keys = new ResqueKeys(uniquePrefix('outcomes'));
  const other = new ResqueKeys(uniquePrefix('outcomes'));
  const subscriber = new OutcomeSubscriber(redis, keys, 120);
  subscribers.push(subscriber);
  const seen: JobOutcome[] = [];
  subscriber.outcomes$.subscribe((o) => seen.push(o));
  await subscriber.ready();
  await redis.publish(keys.events, 'not json');
  await redis.publish(keys.events, '[{"type":"completed","queue":1}]');
  await publishOutcomes(redis, other, [{ id: 'x', record: encodeOutcome(outcome('x')) }], 120);
  await publishOutcomes(redis, keys, [{ id: 'y', record: encodeOutcome(outcome('y')) }, { id: undefined, record: encodeOutcome({ ...outcome('z'), id: undefined }) }], 120);
  assert.deepEqual(await subscriber.waitFor('y', { timeout: 5_000 }), outcome('y'));
  // Delivered in order on one connection: the earlier messages have been handled by now.
  assert.deepEqual(seen.map((o) => o.id), ['y', undefined]);
  await assert.rejects(subscriber.waitFor('x', { timeout: 100 }), { name: 'JobWaitTimeoutError' });
});
