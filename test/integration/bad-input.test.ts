/**
 * Bad input on both sides. Worker side: a seeded corpus of a few hundred queue entries (truncated
 * JSON, wrong types, unknown classes, invalid UTF-8, 1 MB and depth-5000 values, non-objects)
 * interleaved with valid Ruby / PHP / node-resque / our payloads, run by the real worker loop with
 * Nest's JobRunner. Every bad entry must become a clear, valid failure record, every good one
 * must complete exactly once, and the worker must keep going. Enqueue side: data that would not
 * survive JSON is refused with the path of the offending value, and nothing is written.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { InvalidJobDataError, Job, JobRunner, ResqueClient, ResqueKeys, type JobContext, type ResqueJob } from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { KNOWN_CLASSES, corpus, type Case } from '../interop/fixtures/bad-payloads.js';
import { InProcessWorker } from '../interop/fixtures/in-process-worker.js';
import { createPerformer } from '../../lib/worker/job-performer.js';

/** raw payload → times performed. */
const completions = new Map<string, number>();
const performed = (ctx: JobContext) => completions.set(ctx.raw, (completions.get(ctx.raw) ?? 0) + 1);

@Job('bad')
class Known implements ResqueJob {
  perform(_data: unknown, ctx: JobContext): void {
    performed(ctx);
  }
}
@Job('bad')
class RubyJob implements ResqueJob {
  perform(_data: unknown, ctx: JobContext): void {
    performed(ctx);
  }
}
@Job('bad')
class NodeJob implements ResqueJob {
  async perform(_data: unknown, ctx: JobContext): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    performed(ctx);
  }
}
@Job({ queue: 'bad', name: 'App\\Jobs\\UserJob' })
class PhpUserJob implements ResqueJob {
  perform(_data: unknown, ctx: JobContext): void {
    performed(ctx);
  }
}
@Job('bad')
class UserJob implements ResqueJob {
  perform(_data: unknown, ctx: JobContext): void {
    performed(ctx);
  }
}

let server: RedisServer;
let redis: Redis;
let app: TestingModule;
let runner: JobRunner;
before(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
  ({ app } = await bootResque(server, [Known, RubyJob, NodeJob, PhpUserJob, UserJob]));
  runner = app.get(JobRunner);
});
after(async () => {
  await app.close();
  redis.disconnect();
  await server.destroy();
});

const SEVEN_FIELDS = ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Pushes the corpus, runs our worker over it, returns the worker and the failure records' bytes. */
async function runCorpus(cases: readonly Case[], concurrency: number) {
  const keys = new ResqueKeys(uniquePrefix('bad'));
  completions.clear();
  for (let i = 0; i < cases.length; i += 50) {
    await redis.rpush(keys.queue('bad'), ...cases.slice(i, i + 50).map((c) => c.value));
  }
  assert.equal(await redis.llen(keys.queue('bad')), cases.length);
  const worker = new InProcessWorker({ server, db: 0, keys, queues: ['bad'], concurrency, maxJobs: cases.length, run: (ctx) => runner.run(ctx) });
  await worker.run();
  await worker.close();
  const records = await redis.lrangeBuffer(keys.failed, 0, -1);
  return { keys, worker, records };
}

/** A failure record must be valid UTF-8, valid JSON, with all seven fields in order and an array backtrace. */
function checkRecord(bytes: Buffer, worker: InProcessWorker, requireReason = true): Record<string, unknown> {
  const text = utf8.decode(bytes);
  const record = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(record), SEVEN_FIELDS);
  assert.ok(Array.isArray(record.backtrace), 'backtrace is an array');
  assert.ok(!Number.isNaN(Date.parse(record.failed_at as string)));
  assert.equal(record.worker, worker.id);
  assert.equal(record.queue, 'bad');
  assert.equal(typeof record.error, 'string');
  if (requireReason) assert.notEqual(record.error, '');
  return record;
}

function ourPayloads(keys: ResqueKeys) {
  const client = new ResqueClient({ redis, keys });
  return (seq: number) => client.prepare('bad', 'Known', { seq, at: 'a/b' }).payload;
}

describe('the worker over a few hundred bad and good entries', () => {
  test('concurrency 1: each bad entry fails in order with its reason, each good one completes once', { timeout: 120_000 }, async () => {
    const cases = corpus(20240610, 320, ourPayloads(new ResqueKeys()));
    const goods = cases.filter((c) => c.expect.kind === 'good');
    const bads = cases.filter((c) => c.expect.kind === 'bad');
    assert.ok(cases.length > 300 && goods.length > 100 && bads.length > 150, `${cases.length} cases, ${goods.length} good`);
    for (const name of KNOWN_CLASSES) assert.ok(goods.some((c) => String(c.value).includes(JSON.stringify(name).slice(1, -1))), `a valid ${name}`);

    const { keys, worker, records } = await runCorpus(cases, 1);
    assert.deepEqual(worker.errors, [], 'the loop never reported an error');
    for (const c of goods) assert.equal(completions.get(c.value as string), 1, `completed once: ${c.label} ${String(c.value).slice(0, 80)}`);
    assert.equal([...completions.values()].reduce((a, b) => a + b, 0), goods.length, 'nothing else ran');
    assert.equal(records.length, bads.length);
    assert.equal(records.length + goods.length, cases.length, 'failed + completed = pushed');

    records.forEach((bytes, i) => {
      const c = bads[i];
      const what = `${c.label}: ${String(c.value).slice(0, 60)}`;
      const record = checkRecord(bytes, worker);
      if (c.expect.kind !== 'bad') throw new Error('unreachable');
      assert.equal(record.exception, c.expect.exception, what);
      assert.match(record.error as string, c.expect.error, what);
      const text = bytes.toString('utf8');
      const raw = Buffer.from(c.value).toString('utf8'); // as ioredis hands it to the worker (U+FFFD for bad bytes)
      let isJson = true;
      try {
        JSON.parse(raw);
      } catch {
        isJson = false;
      }
      if (isJson && !raw.includes('\uFFFD')) {
        assert.ok(text.includes(`,"payload":${raw},"exception":`), `payload bytes kept: ${what}`);
      } else {
        assert.equal(record.payload, raw, `non-JSON payload kept as a JSON string: ${what}`);
      }
    });

    assert.equal(await redis.get(keys.statProcessed()), String(cases.length));
    assert.equal(await redis.get(keys.statFailed()), String(bads.length));
    assert.equal(await redis.llen(keys.queue('bad')), 0);
    assert.equal(await redis.hlen(keys.inflight(worker.id)), 0);
    assert.equal(await redis.sismember(keys.workers, worker.id), 0, 'unregistered cleanly');
  });

  test('concurrency 8: same totals and the same failure reasons, batched acknowledgements', { timeout: 120_000 }, async () => {
    const cases = corpus(7, 300, ourPayloads(new ResqueKeys()));
    const goods = cases.filter((c) => c.expect.kind === 'good');
    const bads = cases.filter((c) => c.expect.kind === 'bad');
    const { keys, worker, records } = await runCorpus(cases, 8);
    assert.deepEqual(worker.errors, []);
    for (const c of goods) assert.equal(completions.get(c.value as string), 1, `completed once: ${c.label}`);
    assert.equal(records.length, bads.length);
    const tally = (items: string[]) => items.sort().reduce<Record<string, number>>((t, k) => ({ ...t, [k]: (t[k] ?? 0) + 1 }), {});
    const got = records.map((bytes) => checkRecord(bytes, worker).exception as string);
    const want = bads.map((c) => (c.expect.kind === 'bad' ? c.expect.exception : ''));
    assert.deepEqual(tally(got), tally(want));
    assert.equal(await redis.get(keys.statProcessed()), String(cases.length));
    assert.equal(await redis.get(keys.statFailed()), String(bads.length));
  });

  test('retrying the failure record of a non-JSON payload is refused with a reason', async () => {
    const keys = new ResqueKeys(uniquePrefix('bad'));
    await redis.rpush(keys.queue('bad'), '{"class":"Known","args":[1');
    const worker = new InProcessWorker({ server, db: 0, keys, queues: ['bad'], maxJobs: 1, run: (ctx) => runner.run(ctx) });
    await worker.run();
    await worker.close();
    const client = new ResqueClient({ redis, keys });
    await assert.rejects(client.retryFailed(0), { name: 'InvalidFailureRecordError' });
    assert.equal(await redis.llen(keys.queue('bad')), 0);
    assert.equal(await client.failedCount(), 1);
  });

  /** Pushes `bad` then a job that blocks, so worker:<id> keeps the bad payload's record; returns that record. */
  async function workerRecordWhileFirstIs(bad: string): Promise<string> {
    const keys = new ResqueKeys(uniquePrefix('bad'));
    await redis.rpush(keys.queue('bad'), bad, '{"class":"Slow","args":[]}');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let slowRunning = false;
    const worker = new InProcessWorker({
      server, db: 0, keys, queues: ['bad'], concurrency: 2, maxJobs: 2,
      run: async () => {
        slowRunning = true;
        await gate;
      },
    });
    const done = worker.start();
    try {
      await waitFor(() => slowRunning, 'the slow job runs');
      await waitFor(async () => (await redis.llen(keys.failed)) === 1, 'the bad payload is failed');
      const record = await redis.get(keys.worker(worker.id));
      assert.ok(record !== null, 'worker:<id> is set while a job runs');
      return record;
    } finally {
      release();
      await done;
      await worker.close();
    }
  }

  // resque-web (Resque.decode) and node-resque (allWorkingOn: JSON.parse) both parse worker:<id>.
  test('worker:<id> stays valid JSON while a truncated payload is the first of a batch', async () => {
    const record = await workerRecordWhileFirstIs('{"class":"Known","args":[1');
    assert.doesNotThrow(() => JSON.parse(record), `worker:<id> = ${record}`);
  });

  // Redis' cjson accepts what JSON.parse and Ruby's JSON refuse: NaN/Infinity (Python's json.dumps
  // writes them by default), hex and leading-zero numbers, raw control characters inside strings.
  const laxJson: Array<[string, string]> = [
    ['NaN (Python json.dumps)', '{"class":"Known","args":[NaN]}'],
    ['Infinity (Python json.dumps)', '{"class":"Known","args":[{"x":Infinity}]}'],
    ['hex number', '{"class":"Known","args":[0x10]}'],
    ['leading zero', '{"class":"Known","args":[007]}'],
    ['raw newline in a string', '{"class":"Known","args":["a\nb"]}'],
    ['raw U+0001 in a string', '{"class":"Known","args":["a\u0001b"]}'],
  ];
  for (const [label, bad] of laxJson) {
    test(`worker:<id> stays valid JSON when the first payload is lax JSON: ${label}`, async () => {
      assert.throws(() => JSON.parse(bad), SyntaxError, 'the case is not JSON to JSON.parse');
      const record = await workerRecordWhileFirstIs(bad);
      assert.doesNotThrow(() => JSON.parse(record), `worker:<id> = ${record}`);
    });
  }
});

describe('U+FFFD is text; only invalid bytes fail', () => {
  test('a real U+FFFD enqueued (or written by Ruby and PHP as raw bytes or \\ufffd) runs; invalid bytes beside it fail', async () => {
    const keys = new ResqueKeys(uniquePrefix('fffd'));
    const client = new ResqueClient({ redis, keys });
    completions.clear();
    await client.enqueue('bad', 'Known', 'a\ufffdb');
    const ruby = Buffer.from('{"class":"Known","args":["x\ufffdy"]}', 'utf8'); // EF BF BD, as Ruby writes it
    const php = '{"class":"Known","args":["\\ufffd"]}'; // json_encode escapes it
    const broken = Buffer.concat([Buffer.from('{"class":"Known","args":["\ufffd'), Buffer.from([0xff]), Buffer.from('"]}')]);
    await redis.rpush(keys.queue('bad'), ruby, php, broken);
    const worker = new InProcessWorker({ server, db: 0, keys, queues: ['bad'], maxJobs: 4, run: (ctx) => runner.run(ctx) });
    await worker.run();
    await worker.close();
    const ran = [...completions.keys()].map((raw) => JSON.parse(raw).args[0] as string);
    assert.deepEqual(ran, ['a\ufffdb', 'x\ufffdy', '\ufffd']);
    const records = await redis.lrangeBuffer(keys.failed, 0, -1);
    assert.equal(records.length, 1, 'only the payload with an invalid byte failed');
    const record = checkRecord(records[0], worker);
    assert.equal(record.exception, 'InvalidPayloadError');
    assert.equal(record.error, 'payload is not valid UTF-8');
  });

  test('peek reads a stored U+FFFD as text and invalid bytes as no payload', async () => {
    const keys = new ResqueKeys(uniquePrefix('fffd'));
    const client = new ResqueClient({ redis, keys });
    await client.enqueue('q', 'Known', 'a\ufffdb');
    await redis.rpush(keys.queue('q'), Buffer.from([0x7b, 0xff, 0x7d]));
    const [good, bad] = await client.peek('q', 0, 2);
    assert.deepEqual(good.payload?.args, ['a\ufffdb']);
    assert.equal(bad.payload, null);
  });
});

describe('jobs that throw odd values still become valid failure records', () => {
  const oddError = (patch: (e: Error) => void) => () => {
    const error = new Error('odd');
    patch(error);
    return error;
  };
  const throwers: Array<[label: string, make: () => unknown]> = [
    ['null', () => null],
    ['undefined', () => undefined],
    ['a string', () => 'just a string'],
    ['a number', () => 42],
    ['a plain object', () => ({ code: 'E_ODD' })],
    ['an Error without a message', () => new Error()],
    ['an Error whose stack is not a string', oddError((e) => Object.assign(e, { stack: { not: 'a string' } }))],
  ];

  test('the loop fails each with a seven-field record and goes on', async () => {
    const keys = new ResqueKeys(uniquePrefix('odd'));
    await redis.rpush(keys.queue('bad'), ...throwers.map((_, i) => `{"class":"Odd","args":[${i}]}`));
    const worker = new InProcessWorker({
      server, db: 0, keys, queues: ['bad'], maxJobs: throwers.length,
      run: (ctx) => {
        throw throwers[ctx.data as number][1]();
      },
    });
    await worker.run();
    await worker.close();
    const records = await redis.lrangeBuffer(keys.failed, 0, -1);
    assert.equal(records.length, throwers.length);
    // A job's own error message may be empty (new Error()); the record must still be complete.
    const errors = records.map((bytes) => checkRecord(bytes, worker, false).error);
    assert.deepEqual(errors, ['null', 'undefined', 'just a string', '42', '[object Object]', '', 'odd']);
  });

  test('an Error whose name is not a string gives a valid record', async () => {
    const keys = new ResqueKeys(uniquePrefix('odd'));
    await redis.rpush(keys.queue('bad'), '{"class":"Odd","args":[]}');
    const worker = new InProcessWorker({
      server, db: 0, keys, queues: ['bad'], maxJobs: 1,
      run: () => {
        throw oddError((e) => Object.assign(e, { name: undefined }))();
      },
    });
    await worker.run();
    await worker.close();
    const [bytes] = await redis.lrangeBuffer(keys.failed, 0, -1);
    assert.equal(checkRecord(bytes, worker).exception, 'Error');
  });

  test('the performer never rejects, even for an Error with a BigInt message', async () => {
    const perform = createPerformer({
      keys: new ResqueKeys(),
      workerId: 'h:1:bad',
      run: async () => {
        throw oddError((e) => Object.assign(e, { message: 10n }))();
      },
    });
    const finished = await perform({ token: '1', queue: 'bad', raw: '{"class":"Odd","args":[]}' });
    assert.equal(finished.outcome, 'fail');
  });

  // A rejected perform is never acknowledged: WorkerLoop.start has no .catch, so the job stays
  // "active" for ever (stop() never resolves) and the rejection is unhandled (Node 20 exits).
  const undescribable: Array<[string, () => unknown]> = [
    ['an Error whose message is a null-prototype object', oddError((e) => Object.assign(e, { message: Object.create(null) }))],
    ['an Error whose name getter throws', oddError((e) => Object.defineProperty(e, 'name', { get: () => { throw new Error('name'); } }))],
    ['an Error whose stack getter throws', oddError((e) => Object.defineProperty(e, 'stack', { get: () => { throw new Error('stack'); } }))],
    ['a revoked Proxy', () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; }],
  ];
  for (const [label, make] of undescribable) {
    test(`the performer never rejects: ${label}`, async () => {
      const perform = createPerformer({
        keys: new ResqueKeys(),
        workerId: 'h:1:bad',
        run: async () => {
          throw make();
        },
      });
      const finished = await perform({ token: '1', queue: 'bad', raw: '{"class":"Odd","args":[]}' });
      assert.equal(finished.outcome, 'fail');
      if (finished.outcome === 'fail') assert.doesNotThrow(() => JSON.parse(`${finished.record.head}{}${finished.record.tail}`));
    });
  }
});

describe('enqueue refuses data that would not survive JSON, and writes nothing', () => {
  class Money {
    constructor(readonly cents: number) {}
  }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = cycle;
  const deepCycle: Record<string, unknown> = { list: [{ x: 1 }] };
  (deepCycle.list as Array<Record<string, unknown>>)[0].back = deepCycle;
  // eslint-disable-next-line no-sparse-arrays
  const sparse = [1, , 3];
  function revoked(): object {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  }
  /** An array nested `levels` deep: nest(1) = [1]. */
  function nest(levels: number): unknown {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  }

  const refused: Array<[label: string, data: unknown, path: string]> = [
    ['function', { onDone: () => 1 }, '$.onDone'],
    ['function as data', () => 1, '$'],
    ['symbol', { s: Symbol('x') }, '$.s'],
    ['symbol as data', Symbol('x'), '$'],
    ['cycle', cycle, '$.self'],
    ['cycle through an array', deepCycle, '$.list[0].back'],
    ['undefined as data', undefined, '$'],
    ['undefined in an array', { list: ['a', undefined] }, '$.list[1]'],
    ['sparse array hole', { list: sparse }, '$.list[1]'],
    ['NaN', { x: [1, NaN] }, '$.x[1]'],
    ['Infinity', { x: Infinity }, '$.x'],
    ['-Infinity as data', -Infinity, '$'],
    ['Date', { when: new Date(0) }, '$.when'],
    ['Map', { m: new Map([[1, 2]]) }, '$.m'],
    ['Set as data', new Set([1]), '$'],
    ['class instance', { price: new Money(5) }, '$.price'],
    ['Buffer', { bytes: Buffer.from('x') }, '$.bytes'],
    ['RegExp', { re: /x/ }, '$.re'],
    ['symbol key', { [Symbol('tag')]: 1, a: 1 }, '$[Symbol(tag)]'],
    ['non-enumerable property', Object.defineProperty({ a: 1 }, 'hidden', { value: 2, enumerable: false }), '$.hidden'],
    ['named property on an array', { list: Object.assign([1, 2], { extra: 3 }) }, '$.list.extra'],
    ['symbol key on an array', { list: Object.assign([1], { [Symbol('s')]: 3 }) }, '$.list[Symbol(s)]'],
    ['throwing getter', { a: 1, get boom(): number { throw new Error('no'); } }, '$.boom'],
    ['revoked Proxy', { p: revoked() }, '$.p'],
    ['revoked Proxy as data', revoked(), '$'],
    ['Proxy whose ownKeys trap throws', { p: new Proxy({}, { ownKeys: () => { throw new TypeError('trap'); } }) }, '$.p'],
    ['nesting deeper than 1000', { deep: nest(1000) }, '$.deep' + '[0]'.repeat(999)],
    ['an array 5000 deep', nest(5000), '[0]'.repeat(1000).replace(/^/, '$')],
  ];

  for (const [label, data, path] of refused) {
    test(`${label} → InvalidJobDataError at ${path.length > 40 ? `${path.slice(0, 40)}…` : path}`, async () => {
      const keys = new ResqueKeys(uniquePrefix('enq'));
      const client = new ResqueClient({ redis, keys });
      await assert.rejects(client.enqueue('q', 'UserJob', data), (error: unknown) => {
        assert.ok(error instanceof InvalidJobDataError, `got ${String(error)}`);
        assert.equal(error.name, 'InvalidJobDataError');
        assert.equal(error.path, path);
        assert.ok(error.message.includes(path.slice(0, 150)), error.message);
        return true;
      });
      assert.equal(await redis.llen(keys.queue('q')), 0);
      assert.deepEqual(await redis.keys(`${keys.prefix}:*`), [], 'nothing written, not even the queues set');
    });
  }

  test('what is validated is what is written: each value is read once', async () => {
    const keys = new ResqueKeys(uniquePrefix('enq'));
    const client = new ResqueClient({ redis, keys });
    let reads = 0;
    // A getter that turns into a function on the second read: JSON.stringify after a check would drop it.
    const tricky = { get n(): unknown { reads++; return reads === 1 ? 1 : () => 1; } };
    let trapReads = 0;
    const proxy = new Proxy({ v: 'x' }, { get: (target, key, receiver) => (key === 'v' && ++trapReads > 1 ? undefined : Reflect.get(target, key, receiver)) });
    await client.enqueue('q', 'UserJob', { tricky, proxy });
    const [raw] = await redis.lrange(keys.queue('q'), 0, -1);
    assert.deepEqual(JSON.parse(raw).args, [{ tricky: { n: 1 }, proxy: { v: 'x' } }]);
    assert.equal(reads, 1, 'the getter ran once');
    assert.equal(trapReads, 1, 'the get trap ran once');
  });

  test('nesting up to 1000 levels is accepted and reads back the same', async () => {
    const keys = new ResqueKeys(uniquePrefix('enq'));
    const client = new ResqueClient({ redis, keys });
    const deep = nest(1000);
    await client.enqueue('q', 'UserJob', deep);
    const [raw] = await redis.lrange(keys.queue('q'), 0, -1);
    assert.deepEqual(JSON.parse(raw).args, [deep]);
  });

  test('enqueueBulk with one bad item among good ones writes none of them', async () => {
    const keys = new ResqueKeys(uniquePrefix('enq'));
    const client = new ResqueClient({ redis, keys });
    await assert.rejects(client.enqueueBulk('q', 'UserJob', [{ a: 1 }, { a: 2 }, { a: NaN }, { a: 4 }], true), /Job data at \$\.a: NaN/);
    assert.deepEqual(await redis.keys(`${keys.prefix}:*`), []);
  });

  test('plain data that does survive is accepted: null-prototype objects, undefined properties, nested arrays', async () => {
    const keys = new ResqueKeys(uniquePrefix('enq'));
    const client = new ResqueClient({ redis, keys });
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    await client.enqueue('q', 'UserJob', { bare, skip: undefined, list: [[[]]], s: 'é/\u2028' });
    await client.enqueue('q', 'UserJob', null);
    const [first, second] = await redis.lrange(keys.queue('q'), 0, -1);
    assert.deepEqual(JSON.parse(first).args, [{ bare: { a: 1 }, list: [[[]]], s: 'é/\u2028' }]);
    assert.deepEqual(JSON.parse(second).args, [null]);
  });
});
