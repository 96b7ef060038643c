import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'ioredis';
import { ResqueKeys } from '../../lib/protocol/keys.js';
import { enqueueKeys } from '../../lib/protocol/scripts/enqueue-jobs.js';
import { bulk } from '../../lib/redis/encoded-command.js';

/** What ioredis itself writes for a command. */
function written(name: string, args: string[]): string {
  return String(new Command(name, args).toWritable(undefined as never));
}

test('the one-job push as RESP text: the same bytes ioredis writes for SADD, RPUSH and the wake-up XADD', () => {
  for (const prefix of ['resque', '{resque-b}']) {
    const resqueKeys = new ResqueKeys(prefix);
    const keys = enqueueKeys(resqueKeys);
    for (const queue of ['mail', 'é-ünïcode-☃', 'mail', 'q'.repeat(128)]) {
      const text = keys.encoded(queue);
      assert.equal(text.register, written('sadd', [resqueKeys.queues, queue]));
      for (const payload of ['{"class":"A","args":[{}],"id":"x"}', '{"class":"Ü","args":["☃\\u0000"]}']) {
        assert.equal(text.pushHead + bulk(payload), written('rpush', [resqueKeys.queue(queue), payload]));
      }
      assert.equal(text.wake, written('xadd', [resqueKeys.wake, 'MAXLEN', '~', '100', '*', 'q', queue]));
    }
  }
});
