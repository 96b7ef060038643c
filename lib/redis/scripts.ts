/**
 * Lua scripts are registered on each client with ioredis' defineCommand, which runs EVALSHA and
 * falls back to EVAL after NOSCRIPT (a restarted Redis has lost its script cache), also inside
 * pipelines. Names carry a hash of the source, so two library versions on one Redis never collide.
 */
import type { RedisClient } from './connection.js';
import type { EmbeddedScript } from '../protocol/scripts/lua.generated.js';

type ScriptArgument = string | number;
type ScriptCall = (numberOfKeys: number, ...args: ScriptArgument[]) => Promise<unknown>;

/** Defines scripts on a client; a pipeline only has the scripts its client had when it was created. */
export function defineScripts(target: RedisClient, ...scripts: EmbeddedScript[]): void {
  for (const script of scripts) ensure(target, script);
}

function ensure(target: RedisClient, script: EmbeddedScript): void {
  // defineCommand is per client and adds a method of the script's name; define it once.
  if ((target as unknown as Record<string, unknown>)[script.name] === undefined) {
    target.defineCommand(script.name, { lua: script.lua });
  }
}

/** Runs a script: KEYS first, then ARGV, as its header lists them. */
export function runScript(
  client: RedisClient,
  script: EmbeddedScript,
  keys: readonly string[],
  args: readonly ScriptArgument[],
): Promise<unknown> {
  ensure(client, script);
  const call = (client as unknown as Record<string, ScriptCall>)[script.name];
  return call.call(client, keys.length, ...keys, ...args);
}
