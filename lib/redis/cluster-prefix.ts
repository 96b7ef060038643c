/**
 * The key prefix on a Redis Cluster. Every key of a namespace must hash to one slot, or the
 * scripts (which touch several keys atomically) fail with CROSSSLOT: the prefix must carry a
 * hash tag, `{resque}`, and the keys become `{resque}:queue:<q>`, `{resque}:failed`... Redis hashes
 * only the text inside the first `{...}` of a key, so the tag must close inside the prefix (the
 * rest of a key, a queue name or a job's JSON, may hold braces of its own).
 *
 * Decision: with no prefix set anywhere, a cluster connection uses `{resque}`; a prefix set
 * without a tag is refused (UntaggedClusterPrefixError) rather than silently tagged, since the
 * tagged namespace is a different set of keys, which other Resques must be configured to read.
 *
 * Cost: all of one namespace lives on one shard (one primary serves it). To spread load, use
 * several namespaces with different tags (`{resque-a}`, `{resque-b}`), which land on different
 * slots and, in a balanced cluster, on different shards; a worker host serves one namespace.
 */
import { UntaggedClusterPrefixError } from '../errors/untagged-cluster-prefix.error.js';

export const DEFAULT_CLUSTER_PREFIX = '{resque}';
export const DEFAULT_PREFIX = 'resque';

/** The text Redis hashes for keys under `prefix`, or undefined when the prefix has no complete, non-empty tag. */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return prefix.slice(open + 1, close);
}

/** The prefix to use: `explicit` (checked for a tag on a cluster), else the default for the connection. */
export function resolvePrefix(explicit: string | undefined, onCluster: boolean, setting = 'PREFIX'): string {
  if (explicit === undefined) return onCluster ? DEFAULT_CLUSTER_PREFIX : DEFAULT_PREFIX;
  if (onCluster && hashTagOf(explicit) === undefined) throw new UntaggedClusterPrefixError(setting, explicit);
  return explicit;
}
