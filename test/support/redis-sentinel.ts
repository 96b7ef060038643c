/**
 * A Sentinel set for failover tests: one primary, replicas and sentinels, all redis-server
 * processes on free loopback ports, started by the test (`redis-server <config> --sentinel` with a
 * generated config). Low down-after-milliseconds and failover-timeout so a failover takes about
 * a second or two. `destroy()` kills everything whatever state it is in; call it in `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

export const SENTINEL_GROUP = 'mymaster';

export interface SentinelSetOptions {
  readonly replicas?: number;
  readonly sentinels?: number;
  readonly downAfterMs?: number;
  readonly failoverTimeoutMs?: number;
  /** requirepass and masterauth on the primary and replicas (the sentinels get it as auth-pass). */
  readonly password?: string;
  /** requirepass on the sentinels (they authenticate to each other with it). */
  readonly sentinelPassword?: string;
}

/** One `redis-server --sentinel` process. */
class SentinelProcess {
  private process?: ChildProcess;

  constructor(readonly port: number, private readonly dir: string) {}

  async start(primaryPort: number, quorum: number, downAfterMs: number, failoverTimeoutMs: number, auth: { password?: string; sentinelPassword?: string } = {}): Promise<void> {
    const config = join(this.dir, `sentinel-${this.port}.conf`);
    writeFileSync(
      config,
      [
        `port ${this.port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `sentinel monitor ${SENTINEL_GROUP} 127.0.0.1 ${primaryPort} ${quorum}`,
        `sentinel down-after-milliseconds ${SENTINEL_GROUP} ${downAfterMs}`,
        `sentinel failover-timeout ${SENTINEL_GROUP} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${SENTINEL_GROUP} 2`,
        ...(auth.password ? [`sentinel auth-pass ${SENTINEL_GROUP} ${auth.password}`] : []),
        ...(auth.sentinelPassword ? [`requirepass ${auth.sentinelPassword}`] : []),
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.process = child;
    let output = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: string) => {
        output += chunk;
        if (output.includes('+monitor master')) {
          child.stdout!.off('data', onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server --sentinel exited with ${code}: ${output.slice(-500)}`)));
      child.once('error', reject);
    });
  }

  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.process = undefined;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

export class SentinelSet {
  readonly servers: RedisServer[] = [];
  readonly sentinels: SentinelProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'nestjs-resque-sentinel-'));
  private readonly clients = new Map<number, Redis>();
  private password: string | undefined;
  private sentinelPassword: string | undefined;

  private constructor() {}

  /** Starts the primary, its replicas (in sync), then the sentinels, and waits until they all know each other. */
  static async start(options: SentinelSetOptions = {}): Promise<SentinelSet> {
    const set = new SentinelSet();
    try {
      await set.boot(options);
    } catch (error) {
      await set.destroy();
      throw error;
    }
    return set;
  }

  private async boot(options: SentinelSetOptions): Promise<void> {
    const replicas = options.replicas ?? 2;
    const count = options.sentinels ?? 3;
    this.password = options.password;
    this.sentinelPassword = options.sentinelPassword;
    const auth = options.password ? ['--requirepass', options.password, '--masterauth', options.password] : [];
    const primary = await RedisServer.start({ extraArgs: auth });
    this.servers.push(primary);
    for (let i = 0; i < replicas; i++) {
      this.servers.push(await RedisServer.start({ extraArgs: [...auth, '--replicaof', '127.0.0.1', String(primary.port), '--replica-priority', '100'] }));
    }
    const admin = this.client(primary.port);
    await waitFor(async () => {
      const info = await admin.info('replication');
      return (info.match(/^slave\d+:.*state=online/gm) ?? []).length === replicas;
    }, `${replicas} replicas online`, 15_000, 50);
    for (let i = 0; i < count; i++) {
      const sentinel = new SentinelProcess(await freePort(), this.dir);
      this.sentinels.push(sentinel);
      await sentinel.start(primary.port, Math.floor(count / 2) + 1, options.downAfterMs ?? 1_000, options.failoverTimeoutMs ?? 3_000, options);
    }
    // Sentinels find the replicas (INFO on the primary) and each other (hello messages, every 2 s).
    for (const sentinel of this.sentinels) {
      const client = this.client(sentinel.port, true);
      await waitFor(async () => {
        const replicasSeen = (await client.call('SENTINEL', 'REPLICAS', SENTINEL_GROUP)) as unknown[];
        const others = (await client.call('SENTINEL', 'SENTINELS', SENTINEL_GROUP)) as unknown[];
        return replicasSeen.length === replicas && others.length === count - 1;
      }, `sentinel ${sentinel.port} to know ${replicas} replicas and ${count - 1} other sentinels`, 20_000, 100);
    }
  }

  /** `host:port,...` for REDIS_SENTINELS. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get sentinelAddresses(): Array<{ host: string; port: number }> {
    return this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** The port the sentinels name as primary now (asks the first sentinel that answers). */
  async primaryPort(): Promise<number> {
    for (const sentinel of this.sentinels) {
      try {
        const reply = (await this.client(sentinel.port, true).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_GROUP)) as [string, string] | null;
        if (reply) return Number(reply[1]);
      } catch {
        // a killed or busy sentinel: ask the next
      }
    }
    throw new Error('no sentinel answered');
  }

  /** The server the sentinels name as primary. */
  async primary(): Promise<RedisServer> {
    const port = await this.primaryPort();
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`the sentinels name port ${port}, not one of ours`);
    return server;
  }

  /** Waits until the sentinels name a primary other than `oldPort` and it answers as master; returns its port. */
  waitForPromotion(oldPort: number, timeoutMs = 30_000): Promise<number> {
    return waitFor(async () => {
      const port = await this.primaryPort().catch(() => undefined);
      if (port === undefined || port === oldPort) return undefined;
      const role = await this.client(port).call('ROLE').catch(() => undefined) as unknown[] | undefined;
      return role?.[0] === 'master' ? port : undefined;
    }, `a promotion away from ${oldPort}`, timeoutMs, 20);
  }

  /** An admin client, closed by destroy(); it never retries for long, so it never holds the test. */
  client(port: number, sentinel = this.sentinels.some((s) => s.port === port)): Redis {
    let client = this.clients.get(port);
    if (!client) {
      const password = sentinel ? this.sentinelPassword : this.password;
      client = new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1, retryStrategy: () => 100, connectTimeout: 1_000, commandTimeout: 2_000 });
      client.on('error', () => undefined);
      this.clients.set(port, client);
    }
    return client;
  }

  async destroy(): Promise<void> {
    for (const client of this.clients.values()) client.disconnect();
    await Promise.all([...this.sentinels.map((s) => s.kill()), ...this.servers.map((s) => s.destroy())]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
