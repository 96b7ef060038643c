import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidSettingError, UntaggedClusterPrefixError } from '../../lib/index.js';
import { clusterOptionsFrom, parseClusterNodes } from '../../lib/redis/cluster-connection.js';
import { hashTagOf, resolvePrefix } from '../../lib/redis/cluster-prefix.js';
import { fromPortable, toPortable } from '../../lib/redis/connection.js';
import { settingsFromEnv } from '../../lib/options/worker-settings.js';

test('REDIS_CLUSTER: host:port seed nodes, IPv6 in brackets, credentials and TLS from URL entries', () => {
  assert.deepEqual(parseClusterNodes('10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002'), {
    cluster: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
  });
  assert.deepEqual(parseClusterNodes('rediss://jobs:p%2Fw@a:7000,rediss://jobs:p%2Fw@b:7000'), {
    username: 'jobs',
    password: 'p/w',
    tls: {},
    cluster: [{ host: 'a', port: 7000 }, { host: 'b', port: 7000 }],
  });
  assert.deepEqual(settingsFromEnv({ REDIS_CLUSTER: 'a:1' }).redisCluster, 'a:1');
});

test('REDIS_CLUSTER refuses bad entries in one line that never shows a password', () => {
  for (const [value, problem] of [
    ['', /at least one/],
    ['a:7000,nohost', /"nohost", not a host:port/],
    ['a:99999', /not a host:port/],
    ['redis://:s3cret@a:7000/2', /only db 0/],
    ['redis://:s3cret@a:7000,redis://:other@b:7000', /different credentials/],
  ] as const) {
    assert.throws(() => parseClusterNodes(value), (error: Error) => {
      assert.ok(error instanceof InvalidSettingError, `${value}: ${error.name}`);
      assert.match(error.message, /^REDIS_CLUSTER=/);
      assert.match(error.message, problem);
      assert.doesNotMatch(error.message, /s3cret|other/);
      return true;
    });
  }
});

test('a hash tag must close inside the prefix; on a cluster the default is {resque} and an untagged prefix is refused', () => {
  assert.equal(hashTagOf('{resque}'), 'resque');
  assert.equal(hashTagOf('app:{jobs}:x'), 'jobs');
  assert.equal(hashTagOf('resque'), undefined);
  assert.equal(hashTagOf('{}resque'), undefined);
  assert.equal(hashTagOf('{resque'), undefined);
  assert.equal(resolvePrefix(undefined, false), 'resque');
  assert.equal(resolvePrefix(undefined, true), '{resque}');
  assert.equal(resolvePrefix('resque', false), 'resque');
  assert.equal(resolvePrefix('{resque-b}', true), '{resque-b}');
  assert.throws(() => resolvePrefix('resque', true, 'PREFIX'), (error: Error) => {
    assert.ok(error instanceof UntaggedClusterPrefixError);
    assert.equal(error.name, 'UntaggedClusterPrefixError');
    assert.match(error.message, /^PREFIX="resque" has no hash tag: .*"\{resque\}"/);
    return true;
  });
});

test('cluster options: retry policy to the cluster, credentials to every node, "retry forever" outlasts a failover', () => {
  const strategy = () => 100;
  const options = clusterOptionsFrom({ retryStrategy: strategy, password: 'pw', maxRetriesPerRequest: null, enableOfflineQueue: true, db: 3, host: 'x' }, { redisOptions: { username: 'u' } });
  assert.equal(options.clusterRetryStrategy, strategy);
  assert.equal(options.enableOfflineQueue, true);
  assert.deepEqual(options.redisOptions, { username: 'u', password: 'pw', maxRetriesPerRequest: null });
  assert.ok((options.maxRedirections ?? 0) * (options.retryDelayOnFailover ?? 0) >= 30_000);
});

test('cluster seed nodes and credentials cross IPC', () => {
  const portable = toPortable({ cluster: [{ host: 'a', port: 7000 }], password: 'pw', tls: { ca: Buffer.from('ca') } });
  const back = JSON.parse(JSON.stringify(portable)) as typeof portable;
  const options = fromPortable(back);
  assert.deepEqual(options.cluster, [{ host: 'a', port: 7000 }]);
  assert.equal(options.password, 'pw');
  assert.equal(options.host, undefined);
  assert.deepEqual((options.tls as { ca: Buffer }).ca, Buffer.from('ca'));
});
