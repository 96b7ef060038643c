import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getQueueToken, getJobMetadata, InjectQueue, InvalidQueueNameError, Job, type ResqueJob } from '../../lib/index.js';
import { injectedQueueNames } from '../../lib/decorators/inject-queue.decorator.js';
import { DontPerformError, DontCreateError, UnknownJobClassError } from '../../lib/index.js';

test('@Job records the class name when the decorator runs, with defaults', () => {
  @Job('mail')
  class SendMail implements ResqueJob<{ to: string }> {
    perform(): void {}
  }
  // A bundler renaming the class later must not change the wire name.
  Object.defineProperty(SendMail, 'name', { value: 'a' });
  assert.deepEqual(getJobMetadata(SendMail), { queue: 'mail', name: 'SendMail', timeout: 0, retryOnCrash: false, schedules: [] });
  assert.ok(Reflect.getMetadata('__injectable__', SendMail), '@Job makes the class injectable');
});

test('@Job takes explicit options', () => {
  @Job({ queue: 'php', name: 'App\\Jobs\\Report', timeout: 30_000, retryOnCrash: true })
  class Report implements ResqueJob {
    perform(): void {}
  }
  assert.deepEqual(getJobMetadata(Report), { queue: 'php', name: 'App\\Jobs\\Report', timeout: 30_000, retryOnCrash: true, schedules: [] });
  assert.equal(getJobMetadata(class Plain {}), undefined);
});

test('@Job refuses queue names with whitespace, commas or nothing', () => {
  for (const queue of ['', 'a b', 'a,b', 'tab\t']) {
    assert.throws(() => Job(queue)(class X {}), InvalidQueueNameError);
  }
});

test('@InjectQueue records the name and injects the queue token', () => {
  class Consumer {
    constructor(@InjectQueue('reports-x') readonly queue: unknown) {}
  }
  assert.ok(injectedQueueNames.has('reports-x'));
  // One symbol per name, in any copy of the library; its description names the fix for DI errors.
  assert.equal(getQueueToken('reports-x'), getQueueToken('reports-x'));
  assert.match(getQueueToken('reports-x').description ?? '', /^ResqueQueue:reports-x .*ResqueModule\.registerQueue\('reports-x'\)/);
  const params = Reflect.getMetadata('self:paramtypes', Consumer) as Array<{ index: number; param: unknown }>;
  assert.deepEqual(params, [{ index: 0, param: getQueueToken('reports-x') }]);
});

test('errors carry literal names and clear messages', () => {
  assert.equal(new DontPerformError().name, 'DontPerformError');
  assert.equal(new DontCreateError().name, 'DontCreateError');
  const unknown = new UnknownJobClassError('X', ['A', 'B']);
  assert.equal(unknown.name, 'UnknownJobClassError');
  assert.equal(unknown.message, 'No @Job provider handles class "X" (known: A, B)');
});
