/**
 * Recurring schedules with an injected clock: one enqueue per tick however many schedulers fire,
 * catch up once after missed ticks, daylight-saving transitions, and @Job({ schedule }) at boot.
 */
import 'reflect-metadata';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  InvalidScheduleError,
  Job,
  QueueService,
  RecurringFirer,
  RecurringSchedules,
  ResqueClient,
  ResqueKeys,
  type ResqueJob,
} from '../../lib/index.js';
import { nextFire } from '../../lib/client/recurrence.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';

/** No test may hang: each ends within this, whatever it awaits. */
const TEST = { timeout: 30_000 };

let server: RedisServer;
let redis: Redis;
const keys = new ResqueKeys('resque');
let schedules: RecurringSchedules;

before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  schedules = new RecurringSchedules(new ResqueClient({ redis, keys }));
}, { timeout: 15_000 });
afterEach(async () => {
  await redis.flushdb();
}, { timeout: 15_000 });
after(async () => {
  redis.disconnect();
  await server.destroy();
}, { timeout: 15_000 });

const firer = (now: () => number, onError?: (e: Error) => void) => new RecurringFirer({ redis, keys, now, onError });
const queued = async (queue = 'reports') => (await redis.lrange(`resque:queue:${queue}`, 0, -1)).map((raw) => JSON.parse(raw) as { class: string; args: unknown[]; id: string });
const nextOf = async (name: string) => Number(await redis.zscore('resque:recurring:next', name));

test('set stores the definition and its first tick; the same definition again keeps the tick, a changed one resets it', TEST, async () => {
  assert.equal(await schedules.set('hourly', { queue: 'reports', className: 'Report', cron: '0 * * * *', data: { kind: 'hourly' } }), true);
  const [info] = await schedules.list();
  assert.equal(info.name, 'hourly');
  assert.equal(info.cron, '0 * * * *');
  assert.deepEqual(info.data, { kind: 'hourly' });
  assert.equal(info.next!.getUTCMinutes(), 0);
  assert.ok(info.next!.getTime() > Date.now() && info.next!.getTime() <= Date.now() + 3_600_000);
  await redis.zadd('resque:recurring:next', 12345, 'hourly'); // pretend it is mid-flight
  assert.equal(await schedules.set('hourly', { queue: 'reports', className: 'Report', cron: '0 * * * *', data: { kind: 'hourly' } }), false);
  assert.equal(await nextOf('hourly'), 12345, 'a reboot of the same code keeps the tick');
  assert.equal(await schedules.set('hourly', { queue: 'reports', className: 'Report', cron: '30 * * * *', data: { kind: 'hourly' } }), true);
  assert.notEqual(await nextOf('hourly'), 12345);
  assert.equal(await schedules.remove('hourly'), true);
  assert.deepEqual(await schedules.list(), []);
  assert.equal(await schedules.remove('hourly'), false);
});

test('bad definitions are refused with InvalidScheduleError, nothing written', TEST, async () => {
  const base = { queue: 'reports', className: 'Report' };
  await assert.rejects(async () => schedules.set('x', { ...base, cron: 'not a cron' }), InvalidScheduleError);
  await assert.rejects(async () => schedules.set('x', { ...base, cron: '* * * * *', tz: 'Mars/Olympus' }), InvalidScheduleError);
  await assert.rejects(async () => schedules.set('x', { ...base }), /exactly one of `cron` and `every`/);
  await assert.rejects(async () => schedules.set('x', { ...base, every: 10 }), InvalidScheduleError);
  await assert.rejects(async () => schedules.set('x', { ...base, queue: 'a:b', every: 5000 }), InvalidScheduleError);
  await assert.rejects(async () => schedules.set('x', { ...base, every: 5000, data: () => 1 }), { name: 'InvalidJobDataError' });
  assert.deepEqual(await redis.keys('*'), []);
});

test('a due tick is enqueued once as a php-resque payload (new id each run); five firers racing enqueue it once', TEST, async () => {
  await schedules.set('every5', { queue: 'reports', className: 'Report', every: 5_000, data: { n: 1 }, track: true });
  const slot = await nextOf('every5');
  assert.equal(await firer(() => slot - 1).fireDue(), 0, 'not before its tick');
  const results = await Promise.all(Array.from({ length: 5 }, () => firer(() => slot).fireDue()));
  assert.equal(results.reduce((a, b) => a + b, 0), 1);
  const [job] = await queued();
  assert.equal(job.class, 'Report');
  assert.deepEqual(job.args, [{ n: 1 }]);
  assert.match(job.id, /^[0-9a-f]{32}$/);
  assert.equal(JSON.parse((await redis.get(`resque:job:${job.id}:status`))!).status, 1, 'tracked');
  assert.equal(await nextOf('every5'), slot + 5_000, 'every: anchored to its slots');
  assert.deepEqual(await redis.smembers('resque:queues'), ['reports']);
  const [info] = await schedules.list();
  assert.equal(info.lastJobId, job.id);
  assert.equal(await firer(() => slot + 4_999).fireDue(), 0);
  assert.equal(await firer(() => slot + 5_000).fireDue(), 1);
  assert.equal((await queued()).length, 2);
});

test('missed ticks (no host ran): the oldest is fired once, then it continues from now', TEST, async () => {
  await schedules.set('minutely', { queue: 'reports', className: 'Report', cron: '* * * * *' });
  const slot = await nextOf('minutely');
  const muchLater = slot + 3 * 3_600_000 + 20_000; // three hours of missed ticks
  assert.equal(await firer(() => muchLater).fireDue(), 1);
  assert.equal(await firer(() => muchLater).fireDue(), 0);
  assert.equal((await queued()).length, 1, 'one catch-up run, not 180');
  const next = await nextOf('minutely');
  assert.ok(next > muchLater && next - muchLater <= 60_000, `next ${next} is the first minute after now`);
});

/** Fires a schedule from `start` for `days`, stepping the clock to each tick; returns the instants it fired at. */
async function simulate(name: string, startIso: string, days: number): Promise<string[]> {
  const [info] = (await schedules.list()).filter((s) => s.name === name);
  await redis.zadd('resque:recurring:next', nextFire(name, info, Date.parse(startIso)), name);
  let now = Date.parse(startIso);
  const end = now + days * 86_400_000;
  const fired: string[] = [];
  while (now < end) {
    now = await nextOf(name);
    if (now >= end) break;
    assert.equal(await firer(() => now).fireDue(), 1);
    fired.push(new Date(now).toISOString());
  }
  return fired;
}

test('daylight saving in Europe/Berlin: a daily 02:30 runs once on each day, spring forward and fall back alike', TEST, async () => {
  await schedules.set('nightly', { queue: 'reports', className: 'Report', cron: '30 2 * * *', tz: 'Europe/Berlin' });
  const spring = await simulate('nightly', '2026-03-27T12:00:00Z', 4);
  // 02:30 does not exist on 29 March (clocks jump 02:00 -> 03:00): it runs once, at 03:00 CEST.
  assert.deepEqual(spring, ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  const autumn = await simulate('nightly', '2026-10-23T12:00:00Z', 4);
  // 02:30 happens twice on 25 October (03:00 -> 02:00): it runs once, at the first.
  assert.deepEqual(autumn, ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  assert.equal((await queued()).length, 8);
});

test('a removed schedule enqueues nothing; a definition we did not write is unscheduled and reported', TEST, async () => {
  await schedules.set('gone', { queue: 'reports', className: 'Report', every: 5_000 });
  const slot = await nextOf('gone');
  await schedules.remove('gone');
  assert.equal(await firer(() => slot).fireDue(), 0);
  await redis.hset('resque:recurring', 'foreign', '{"cron":"bogus"}');
  await redis.zadd('resque:recurring:next', 1, 'foreign');
  const errors: Error[] = [];
  assert.equal(await firer(() => slot, (e) => errors.push(e)).fireDue(), 0);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /"foreign" cannot fire/);
  assert.equal(await redis.zscore('resque:recurring:next', 'foreign'), null);
  assert.deepEqual(await queued(), []);
});

@Job({ queue: 'reports', schedule: [{ cron: '*/5 * * * *', tz: 'Europe/Berlin', data: { scope: 'all' } }, { name: 'ReportHeartbeat', every: 60_000 }] })
class ReportJob implements ResqueJob<{ scope: string }> {
  perform(): void {}
}

test('@Job({ schedule }) writes its schedules at boot, and a second boot changes nothing', TEST, async () => {
  const first = await bootResque(server, [ReportJob], { prefix: 'boot' });
  try {
    const list = await first.app.get(QueueService).schedules.list();
    assert.deepEqual(list.map((s) => [s.name, s.className, s.queue, s.cron ?? s.every]), [
      ['ReportHeartbeat', 'ReportJob', 'reports', 60_000],
      ['ReportJob', 'ReportJob', 'reports', '*/5 * * * *'],
    ]);
    assert.equal(list[1].tz, 'Europe/Berlin');
    assert.deepEqual(list[1].data, { scope: 'all' });
    const next = await redis.zrange('boot:recurring:next', '0', '-1', 'WITHSCORES');
    const second = await bootResque(server, [ReportJob], { prefix: 'boot' });
    await second.app.close();
    assert.deepEqual(await redis.zrange('boot:recurring:next', '0', '-1', 'WITHSCORES'), next);
  } finally {
    await first.app.close();
  }
});

test('a bad cron in @Job fails when the class is declared', TEST, () => {
  assert.throws(() => {
    @Job({ queue: 'reports', schedule: { cron: '61 * * * *' } })
    class Bad implements ResqueJob {
      perform(): void {}
    }
    return Bad;
  }, InvalidScheduleError);
});
