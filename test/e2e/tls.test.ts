/**
 * TLS end to end, against a real redis-server with TLS only (`--port 0 --tls-port`), certificates
 * made by the test with openssl: enqueue from a Nest app and a forked worker host running the job,
 * with a CA file (Buffers in the module's options cross to the host and back), with REDIS_URL=rediss://
 * (the module's CA is kept), with client certificates (tls-auth-clients yes), and a wrong CA, which
 * enqueue reports at once with the TLS reason instead of a timeout.
 */
import 'reflect-metadata';
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Test } from '@nestjs/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { QueueService, RedisUnavailableError, ResqueModule } from '../../lib/index.js';
import { E2E_QUEUE } from '../fixtures/queue.js';
import type { DoneEntry } from '../fixtures/test-recorder.js';
import { RedisServer, freePort } from '../support/redis-server.js';
import { makeTlsCertificates, type TlsCertificates } from '../support/tls-certificates.js';
import { uniquePrefix } from '../support/unique.js';
import { waitFor } from '../support/wait.js';
import { HostProcess } from './support/host-process.js';

const TEST = { timeout: 60_000 };
const TLS_WORKER = fileURLToPath(new URL('../fixtures/tls-worker.js', import.meta.url));

interface TlsRedis {
  readonly server: RedisServer;
  readonly port: number;
}

let certs: TlsCertificates | undefined;
let plain: TlsRedis | undefined; // CA only
let mutual: TlsRedis | undefined; // tls-auth-clients yes
let skip: string | false = false;
const hosts: HostProcess[] = [];
const clients: Redis[] = [];

async function startTlsRedis(certificates: TlsCertificates, authClients: boolean): Promise<TlsRedis> {
  const port = await freePort();
  const server = await RedisServer.start({
    extraArgs: [
      '--port', '0', '--tls-port', String(port),
      '--tls-cert-file', certificates.serverCertFile, '--tls-key-file', certificates.serverKeyFile,
      '--tls-ca-cert-file', certificates.caFile, '--tls-auth-clients', authClients ? 'yes' : 'no',
    ],
  });
  return { server, port };
}

before(async () => {
  try {
    certs = makeTlsCertificates();
  } catch (error) {
    skip = `openssl could not make certificates: ${(error as Error).message}`;
    return;
  }
  try {
    plain = await startTlsRedis(certs, false);
  } catch (error) {
    // A redis-server built without TLS refuses --tls-port at start.
    skip = `redis-server has no TLS support here (${(error as Error).message.split('\n')[0].slice(0, 160)})`;
    return;
  }
  mutual = await startTlsRedis(certs, true);
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.killGroup()));
});

after(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.killGroup()));
  for (const client of clients) client.disconnect();
  await plain?.server.destroy();
  await mutual?.server.destroy();
  certs?.remove();
});

function tlsOptions(redis: TlsRedis, withClientCert: boolean, ca = certs!.caFile): RedisOptions {
  const tls: NonNullable<RedisOptions['tls']> = { ca: readFileSync(ca) };
  if (withClientCert) {
    tls.cert = readFileSync(certs!.clientCertFile);
    tls.key = readFileSync(certs!.clientKeyFile, 'utf8');
  }
  return { host: '127.0.0.1', port: redis.port, tls };
}

/** Enqueues EchoJob from a Nest app on TLS, starts a forked host, waits for the job to be done. */
async function enqueueAndRun(redis: TlsRedis, withClientCert: boolean, hostEnv: Record<string, string> = {}): Promise<void> {
  const prefix = uniquePrefix('tls');
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: tlsOptions(redis, withClientCert), prefix })],
  }).compile();
  await app.init();
  try {
    await app.get(QueueService).enqueue(E2E_QUEUE, 'EchoJob', { over: 'tls' });
  } finally {
    await app.close();
  }
  const env: Record<string, string> = { QUEUE: E2E_QUEUE, PREFIX: prefix, BLOCKING: '1', INTERVAL: '1', TLS_PORT: String(redis.port), TLS_CA: certs!.caFile, ...hostEnv };
  if (withClientCert) Object.assign(env, { TLS_CERT: certs!.clientCertFile, TLS_KEY: certs!.clientKeyFile });
  const host = HostProcess.start(env, TLS_WORKER);
  hosts.push(host);
  const reader = new Redis(tlsOptions(redis, withClientCert));
  clients.push(reader);
  const [done] = await waitFor(async () => {
    if (!host.running) throw new Error(`host exited ${JSON.stringify(host.exit)}\n${host.output()}`);
    const lines = await reader.lrange(`${prefix}:test:done`, 0, -1);
    return lines.length > 0 ? lines.map((line) => JSON.parse(line) as DoneEntry) : undefined;
  }, `the job to run over TLS\n${host.output()}`, 30_000, 50);
  assert.deepEqual(done.data, { over: 'tls' });
  assert.notEqual(done.pid, host.pid, 'a child ran it');
}

describe('TLS', () => {
  test('with a CA file (a Buffer): enqueue, and a forked host runs the job', TEST, async (t) => {
    if (skip) return t.skip(skip);
    await enqueueAndRun(plain!, false);
  });

  test('REDIS_URL=rediss:// for the host keeps the module\'s CA', TEST, async (t) => {
    if (skip) return t.skip(skip);
    await enqueueAndRun(plain!, false, { REDIS_URL: `rediss://127.0.0.1:${plain!.port}` });
  });

  test('with client certificates (tls-auth-clients yes): cert as a Buffer, key as a string', TEST, async (t) => {
    if (skip) return t.skip(skip);
    await enqueueAndRun(mutual!, true);
  });

  test('a wrong CA: enqueue fails at once with the TLS reason, not after its timeout', TEST, async (t) => {
    if (skip) return t.skip(skip);
    const app = await Test.createTestingModule({
      imports: [ResqueModule.forRoot({ connection: tlsOptions(plain!, false, certs!.wrongCaFile), prefix: uniquePrefix('wrong-ca'), enqueueTimeout: 30_000 })],
    }).compile();
    await app.init();
    try {
      const startedAt = Date.now();
      await assert.rejects(app.get(QueueService).enqueue(E2E_QUEUE, 'EchoJob', {}), (error: Error) => {
        assert.ok(error instanceof RedisUnavailableError, String(error));
        assert.match(error.message, /certificate/i);
        assert.match(error.message, /nothing was written/);
        return true;
      });
      assert.ok(Date.now() - startedAt < 15_000, `failed after ${Date.now() - startedAt} ms, not at once`);
    } finally {
      await app.close();
    }
  });
});
