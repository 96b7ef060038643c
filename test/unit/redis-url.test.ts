import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidRedisUrlError } from '../../lib/index.js';
import { parseRedisUrl, redactUrl } from '../../lib/redis/redis-url.js';

test('parseRedisUrl reads user, password, host, port, db, TLS and query options', () => {
  assert.deepEqual(parseRedisUrl('redis://jobs:p%2Fw%3D@redis.internal:6380/2', 'REDIS_URL'), {
    host: 'redis.internal',
    port: 6380,
    db: 2,
    username: 'jobs',
    password: 'p/w=',
  });
  assert.deepEqual(parseRedisUrl('rediss://:pw@[::1]?family=6', 'REDIS_URL'), { host: '::1', password: 'pw', family: 6, tls: {} });
  assert.deepEqual(parseRedisUrl('redis://127.0.0.1', 'REDIS_URL'), { host: '127.0.0.1' });
});

test('parseRedisUrl refuses malformed URLs with one line naming the setting, never the password', () => {
  const cases: Array<[string, RegExp, string[]]> = [
    ['redis://:k9/Xa+ZtQ==@127.0.0.1:6564', /percent-encode/, ['k9', 'Xa+ZtQ']],
    ['redis://:pw0rd@127.0.0.1:99999', /not a valid URL/, ['pw0rd']],
    [':pw0rd@127.0.0.1', /must start with redis:\/\//, ['pw0rd']],
    ['127.0.0.1:6379', /must start with redis:\/\//, []],
    ['redis://user:s3cret', /not a valid URL/, ['s3cret']],
    ['redis://u:s3cret@host/x', /db number/, ['s3cret']],
    ['redis://u:%zz@host', /%-escape/, ['%zz']],
    ['', /is empty/, []],
  ];
  for (const [url, problem, secrets] of cases) {
    assert.throws(
      () => parseRedisUrl(url, 'REDIS_URL'),
      (error: Error) => {
        assert.ok(error instanceof InvalidRedisUrlError, `${url}: ${error.message}`);
        assert.equal(error.name, 'InvalidRedisUrlError');
        assert.match(error.message, /^REDIS_URL="/);
        assert.match(error.message, problem);
        assert.ok(!error.message.includes('\n'), error.message);
        assert.equal(error.stack, `InvalidRedisUrlError: ${error.message}`);
        for (const secret of secrets) assert.ok(!error.message.includes(secret), error.message);
        return true;
      },
    );
  }
});

test('redactUrl hides credentials even in a malformed URL', () => {
  assert.equal(redactUrl('redis://:k9/Xa+ZtQ==@127.0.0.1:6564'), 'redis://***@127.0.0.1:6564');
  assert.equal(redactUrl(':pw@127.0.0.1'), '***@127.0.0.1');
  assert.equal(redactUrl('redis://127.0.0.1:6379/1'), 'redis://127.0.0.1:6379/1');
  assert.equal(redactUrl('redis://user:secret'), 'redis://<19 characters hidden>');
});

test('the module refuses a malformed connection or REDIS_URL before connecting, naming which', async () => {
  const { createResqueRedis } = await import('../../lib/redis/redis-client.provider.js');
  assert.throws(() => createResqueRedis({}, { REDIS_URL: ':pw0rd@127.0.0.1' }), /^InvalidRedisUrlError: REDIS_URL="\*\*\*@127\.0\.0\.1" must start/);
  assert.throws(() => createResqueRedis({}, { REDIS_URL: '' }), /REDIS_URL="" is empty/);
  assert.throws(() => createResqueRedis({ connection: 'redis://:k9/Xa@h:1' }, {}), (error: Error) => {
    assert.match(error.message, /^ResqueModule's connection="redis:\/\/\*\*\*@h:1"/);
    return true;
  });
});
