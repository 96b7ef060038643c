/**
 * A TCP proxy the test controls, between some processes and Redis: `freeze()` stalls every
 * connection through it (bytes stay unread in the kernel's buffers, no connection is closed: what a
 * hung network path looks like), `thaw()` lets them flow again.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private frozen = false;

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    let proxy: TcpProxy | undefined;
    server.on('connection', (client) => {
      const upstream = createConnection({ port: targetPort, host: targetHost });
      proxy!.track(client, upstream);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private track(client: Socket, upstream: Socket): void {
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      if (this.frozen) socket.pause();
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Stalls every connection, present and future. */
  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) socket.pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
