// Throw-away redis-server instances: one per measurement, loopback only,
// no persistence, killed when the measurement (or the whole run) ends.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

export function redisServerVersion(): string {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=([\d.]+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return 'unknown';
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisCpu {
  /** used_cpu_user + used_cpu_sys of the redis-server process, in seconds */
  total: number;
}

export class ThrowAwayRedis {
  readonly host = '127.0.0.1';
  private constructor(
    readonly port: number,
    private readonly proc: ChildProcess,
    /** admin connection (INFO etc.), ioredis 6 with RESP2 */
    readonly admin: Redis,
  ) {}

  static async start(): Promise<ThrowAwayRedis> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const proc = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--save', '',
          '--appendonly', 'no',
          '--protected-mode', 'yes',
          '--daemonize', 'no',
          '--loglevel', 'warning',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      live.add(proc);
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.stdout?.resume();
      const exited = new Promise<never>((_, reject) =>
        proc.once('exit', (code) => reject(new Error(`redis-server exited early (code ${code}): ${stderr}`))),
      );
      try {
        await Promise.race([waitForPing(port), exited]);
        const admin = new Redis({ host: '127.0.0.1', port, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
        await admin.connect();
        return new ThrowAwayRedis(port, proc, admin);
      } catch (e) {
        lastErr = e;
        proc.kill('SIGKILL');
        live.delete(proc);
      }
    }
    throw new Error(`could not start redis-server: ${String(lastErr)}`);
  }

  async cpuSeconds(): Promise<number> {
    const info = await this.admin.info('cpu');
    const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? NaN);
    const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? NaN);
    return user + sys;
  }

  /** Commands executed so far (INFO commandstats), not counting INFO itself: a delta of two calls counts the work between them. */
  async commandCalls(): Promise<number> {
    const info = await this.admin.info('commandstats');
    let calls = 0;
    for (const [, name, n] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (name !== 'info') calls += Number(n);
    return calls;
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    if (this.proc.exitCode === null) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGKILL');
      await gone;
    }
    live.delete(this.proc);
  }
}

async function waitForPing(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => sock.write('PING\r\n'));
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}
