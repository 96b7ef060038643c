/**
 * A private Redis Cluster for a test file: N primaries with R replicas each, every node a
 * redis-server on a free loopback port (its cluster bus on port + 10000), joined with
 * `redis-cli --cluster create`, and ready once every node reports cluster_state:ok with all slots
 * covered and every replica in sync (polled with a deadline, never a fixed sleep).
 * destroy() kills every node whatever state it is in; call it from an after hook.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, isListening, RedisServer } from './redis-server.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  readonly primaries?: number;
  readonly replicasPerPrimary?: number;
  /** cluster-node-timeout: how long a node may be unreachable before a failover (default 2000 ms). */
  readonly nodeTimeoutMs?: number;
}

export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'slave';
  readonly masterId: string | undefined;
  readonly slots: readonly [number, number][];
  readonly failed: boolean;
}

export class RedisCluster {
  private constructor(readonly servers: RedisServer[]) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const count = (options.primaries ?? 3) * (1 + (options.replicasPerPrimary ?? 1));
    const servers: RedisServer[] = [];
    const cluster = new RedisCluster(servers);
    try {
      for (let i = 0; i < count; i++) {
        servers.push(
          await RedisServer.start({
            port: await clusterPort(servers.map((s) => s.port)),
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)],
          }),
        );
      }
      await run('redis-cli', [
        '--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`),
        '--cluster-replicas', String(options.replicasPerPrimary ?? 1), '--cluster-yes',
      ], { timeout: 30_000 });
      await cluster.waitUntilHealthy(30_000);
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  /** Seed nodes as REDIS_CLUSTER takes them. */
  get seeds(): string {
    return this.servers.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get nodes(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`no node on port ${port}`);
    return server;
  }

  /** One command to one node, on a short-lived connection. */
  async ask(port: number, ...args: (string | number)[]): Promise<unknown> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      client.disconnect();
    }
  }

  /** CLUSTER NODES as seen from `port` (any live node by default). */
  async topology(port?: number): Promise<ClusterNodeInfo[]> {
    const from = port ?? (await this.liveServer()).port;
    const text = String(await this.ask(from, 'CLUSTER', 'NODES'));
    return text.trim().split('\n').map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(address!.split('@')[0]!.split(':')[1]),
        role: flags!.includes('master') ? ('master' as const) : ('slave' as const),
        masterId: master === '-' ? undefined : master,
        failed: flags!.includes('fail') && !flags!.includes('pfail') ? true : flags!.split(',').includes('fail'),
        slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
          const [a, b] = s.split('-');
          return [Number(a), Number(b ?? a)] as [number, number];
        }),
      };
    });
  }

  /** The port of the primary serving `key`'s slot (as the live nodes see it now). */
  async primaryFor(key: string): Promise<number> {
    const live = await this.liveServer();
    const slot = Number(await this.ask(live.port, 'CLUSTER', 'KEYSLOT', key));
    const owner = (await this.topology(live.port)).find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner.port;
  }

  async replicasOf(primaryPort: number): Promise<number[]> {
    const nodes = await this.topology();
    const primary = nodes.find((n) => n.port === primaryPort);
    return nodes.filter((n) => n.masterId === primary?.id && !n.failed).map((n) => n.port);
  }

  /** Primaries' ports (live ones, as the cluster sees them now). */
  async primaries(): Promise<number[]> {
    return (await this.topology()).filter((n) => n.role === 'master' && !n.failed && n.slots.length > 0).map((n) => n.port);
  }

  /** Every running node says cluster_state:ok with all 16384 slots ok, and every running replica is in sync. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const server of this.servers) {
          if (!server.running) continue;
          const info = String(await this.ask(server.port, 'CLUSTER', 'INFO').catch(() => ''));
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
          const replication = String(await this.ask(server.port, 'INFO', 'replication').catch(() => ''));
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      'the cluster to be healthy (cluster_state:ok, all slots, replicas in sync)',
      timeoutMs,
      100,
    );
  }

  /** used_cpu_sys + used_cpu_user of each node, in seconds. */
  async cpuSeconds(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const server of this.servers) {
      if (!server.running) continue;
      out.set(server.port, parseCpu(String(await this.ask(server.port, 'INFO', 'cpu'))));
    }
    return out;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.destroy().catch(() => undefined)));
  }

  private async liveServer(): Promise<RedisServer> {
    for (const server of this.servers) if (server.running && (await isListening(server.port))) return server;
    throw new Error('no cluster node is running');
  }
}

export function parseCpu(info: string): number {
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return value('used_cpu_sys') + value('used_cpu_user');
}

/** A free port whose cluster bus port (+10000) is free too, not one of `taken`. */
async function clusterPort(taken: readonly number[]): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 > 65535 || taken.includes(port) || taken.some((t) => t + 10000 === port || port + 10000 === t)) continue;
    if (!(await isListening(port + 10000))) return port;
  }
}
