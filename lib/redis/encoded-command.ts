/**
 * Script calls whose RESP text the caller writes, for a call repeated once per job with mostly the
 * same arguments (the worker's exchange: a dozen keys and names that never change for a worker).
 * ioredis encodes every argument of every command again (length, copy, promise wrappers of its
 * script commands): about 7 of the ~20 µs of worker CPU per exchange here. The caller caches the
 * encoded constant parts and encodes only what changes; replies, errors, the offline queue and
 * reconnects are ioredis' as for any command.
 *
 * Not for a Cluster (it routes by the keys it reads from a command's arguments) nor a client with
 * a `keyPrefix` (ioredis adds it to those arguments): callers take the usual path there.
 */
import { createHash } from 'node:crypto';
import { Command, type Redis } from 'ioredis';
import type { EmbeddedScript } from '../protocol/scripts/lua.generated.js';
import { isCluster, type RedisClient } from './connection.js';

/** One argument as RESP bulk string, as ioredis writes it (strings as UTF-8, numbers through String()). */
export function bulk(value: string | number): string {
  const text = String(value);
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** The client, when its commands can be written as text (see above). */
export function encodableClient(client: RedisClient): Redis | undefined {
  return !isCluster(client) && !client.options.keyPrefix ? client : undefined;
}

/** A command whose RESP text is given whole (`text`); its reply is handled by ioredis as any command's. */
export class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly text: string,
  ) {
    super(name, [], { replyEncoding: 'utf8' });
  }

  override toWritable(): string {
    return this.text;
  }
}

/**
 * Writes a command given as RESP text (`*<n>` header included) and returns its reply. `written` is
 * true when the text is already in the kernel's socket buffer as this returns (the connection was
 * ready and nothing was queued before it): it then reaches Redis even if this process dies next.
 */
export function sendEncoded(client: Redis, name: string, text: string): { readonly written: boolean; readonly reply: Promise<unknown> } {
  const ready = client.status === 'ready';
  const command = new EncodedCommand(name, text);
  void client.sendCommand(command);
  return { written: ready && client.stream.writableLength === 0, reply: command.promise as Promise<unknown> };
}

/**
 * EVALSHA of `script` with `args` already encoded (`count` arguments: numkeys, KEYS, ARGV); after
 * NOSCRIPT (a Redis that lost its script cache) the same call once as EVAL with the source.
 */
export class EncodedScript {
  private readonly sha: string;

  constructor(private readonly script: EmbeddedScript) {
    this.sha = createHash('sha1').update(script.lua).digest('hex');
  }

  async call(client: Redis, args: string, count: number): Promise<unknown> {
    try {
      return await this.send(client, 'evalsha', this.sha, args, count);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.send(client, 'eval', this.script.lua, args, count);
    }
  }

  private send(client: Redis, name: string, body: string, args: string, count: number): Promise<unknown> {
    const command = new EncodedCommand(name, `*${count + 2}\r\n${bulk(name)}${bulk(body)}${args}`);
    void client.sendCommand(command);
    return command.promise as Promise<unknown>;
  }
}
