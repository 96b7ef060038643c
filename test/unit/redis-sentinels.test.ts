import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { InvalidSentinelSettingError } from '../../lib/index.js';
import { describeOptions, fromPortable, reconnectOnFailover, toPortable, withFailoverDefaults } from '../../lib/redis/connection.js';
import { connectionFromEnv } from '../../lib/redis/redis-env.js';
import { parseSentinels } from '../../lib/redis/redis-sentinels.js';

test('REDIS_SENTINELS: host:port entries, IPv6 in brackets, 26379 by default', () => {
  assert.deepEqual(parseSentinels('10.0.0.1:26379, sentinel-b:26380,[::1]:5000,sentinel-c'), [
    { host: '10.0.0.1', port: 26379 },
    { host: 'sentinel-b', port: 26380 },
    { host: '::1', port: 5000 },
    { host: 'sentinel-c', port: 26379 },
  ]);
});

test('a malformed REDIS_SENTINELS is one line naming the setting, never showing a value that may hold a secret', () => {
  const cases: Array<[string, RegExp, string[]]> = [
    ['', /at least one/, []],
    ['a:1,b:99999', /entry 2 has a port outside/, []],
    ['user:s3cret@10.0.0.1:26379', /entry 1 must be host:port \(credentials go in REDIS_URL/, ['s3cret']],
    ['redis://10.0.0.1:26379', /entry 1 must be host:port/, []],
    ['a:1;b:2', /entry 1 must be host:port/, []],
  ];
  for (const [value, problem, secrets] of cases) {
    assert.throws(
      () => parseSentinels(value),
      (error: Error) => {
        assert.ok(error instanceof InvalidSentinelSettingError);
        assert.equal(error.name, 'InvalidSentinelSettingError');
        assert.match(error.message, /^REDIS_SENTINELS=/);
        assert.match(error.message, problem);
        assert.ok(!error.message.includes('\n'));
        for (const secret of secrets) assert.ok(!error.message.includes(secret), error.message);
        return true;
      },
    );
  }
});

test('connectionFromEnv: the sentinels, the group name, and credentials and db from REDIS_URL (its host unused)', () => {
  const { options, setting } = connectionFromEnv({
    REDIS_SENTINELS: 's1:26379,s2:26379',
    REDIS_SENTINEL_NAME: 'jobs',
    REDIS_URL: 'redis://app:p%40ss@ignored-host:6390/3',
    REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
  })!;
  assert.equal(setting, 'REDIS_SENTINELS');
  assert.deepEqual(options, {
    username: 'app',
    password: 'p@ss',
    db: 3,
    sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
    name: 'jobs',
    sentinelPassword: 'sentinel-pw',
  });
  assert.equal(describeOptions(options), 'sentinel group "jobs" via s1:26379,s2:26379/3');
  assert.equal(connectionFromEnv({ REDIS_URL: 'redis://h:1' })?.setting, 'REDIS_URL');
  assert.equal(connectionFromEnv({}), undefined);
  assert.throws(() => connectionFromEnv({ REDIS_SENTINELS: 's1:26379' }), /^InvalidSentinelSettingError: REDIS_SENTINEL_NAME="" must name/);
  // rediss:// REDIS_URL: the sentinels are reached over TLS too.
  assert.equal(connectionFromEnv({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'g', REDIS_URL: 'rediss://h' })?.options.enableTLSForSentinelMode, true);
});

test('Sentinel options survive the IPC crossing (JSON) between a child and its host', () => {
  const options = withFailoverDefaults({
    failoverDetector: true,
    sentinels: [{ host: '10.0.0.1', port: 26379 }],
    name: 'jobs',
    password: 'pw',
    sentinelPassword: 'spw',
    sentinelUsername: 'su',
    role: 'master',
    db: 2,
    sentinelTLS: { ca: Buffer.from('ca-bytes') },
  });
  assert.equal(options.failoverDetector, true);
  const crossed = fromPortable(JSON.parse(JSON.stringify(toPortable(options))));
  assert.deepEqual(crossed.sentinels, [{ host: '10.0.0.1', port: 26379 }]);
  assert.equal(crossed.name, 'jobs');
  assert.equal(crossed.password, 'pw');
  assert.equal(crossed.sentinelPassword, 'spw');
  assert.equal(crossed.sentinelUsername, 'su');
  assert.equal(crossed.role, 'master');
  assert.equal(crossed.db, 2);
  assert.equal(crossed.failoverDetector, true);
  assert.deepEqual((crossed.sentinelTLS as { ca: Buffer }).ca, Buffer.from('ca-bytes'));
});

test("a host given a plain REDIS_URL makes its children leave the application's sentinels", () => {
  const app = new Redis({ lazyConnect: true, sentinels: [{ host: '10.0.0.1', port: 26379 }], name: 'jobs' });
  const child = app.duplicate(fromPortable(toPortable({ host: '127.0.0.1', port: 6390 })));
  try {
    assert.ok(!child.options.sentinels, 'no sentinels: a plain connection');
    assert.equal(child.options.port, 6390);
  } finally {
    app.disconnect();
    child.disconnect();
  }
});

test('a demoted primary: READONLY and the UNBLOCKED of a blocking read reconnect and resend; other errors do not', () => {
  assert.equal(reconnectOnFailover(new Error("READONLY You can't write against a read only replica.")), 2);
  assert.equal(reconnectOnFailover(new Error('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)')), 2);
  assert.equal(reconnectOnFailover(new Error('UNBLOCKED client unblocked via CLIENT UNBLOCK')), false);
  assert.equal(reconnectOnFailover(new Error('ERR unknown command')), false);
});
