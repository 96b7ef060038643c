import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  DuplicateJobClassError,
  getQueueToken,
  InjectQueue,
  Job,
  JobRegistry,
  JobRunner,
  QueueHandle,
  QueueService,
  RESQUE_MODULE_OPTIONS,
  ResqueModule,
  ScopedJobProviderError,
  type JobContext,
  type ResqueJob,
  type ResqueModuleOptions,
} from '../../lib/index.js';
import { RedisServer } from '../support/redis-server.js';
import { bootResque } from '../support/resque-testing-module.js';
import { uniquePrefix } from '../support/unique.js';

@Injectable()
class Greeter {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

@Job('greetings')
class GreetJob implements ResqueJob<{ name: string }> {
  constructor(private readonly greeter: Greeter) {}
  perform(data: { name: string }): string {
    return this.greeter.greet(data.name);
  }
}

@Job({ queue: 'reports', name: 'App\\Jobs\\Report', timeout: 1500, retryOnCrash: true })
class ReportJob implements ResqueJob<null> {
  perform(): string {
    return 'report';
  }
}

@Injectable()
class Newsletter {
  constructor(@InjectQueue('newsletter') readonly queue: QueueHandle) {}
}

let server: RedisServer;
before(async () => {
  server = await RedisServer.start();
});
after(async () => {
  await server.destroy();
});

function context(className: string, data: unknown): JobContext {
  return { className, queue: 'q', args: [data], data, raw: '', workerId: 'test:1:q', attempt: 1 };
}

test('discovers @Job providers, injects their dependencies and runs them', async () => {
  const { app } = await bootResque(server, [Greeter, GreetJob, ReportJob]);
  try {
    const registry = app.get(JobRegistry);
    assert.deepEqual(registry.names(), ['App\\Jobs\\Report', 'GreetJob']);
    assert.equal(registry.get('GreetJob')?.queue, 'greetings');
    assert.equal(registry.get('GreetJob')?.instance, app.get(GreetJob));
    assert.deepEqual(registry.policies(), {
      GreetJob: { timeoutMs: 0, retryOnCrash: false },
      'App\\Jobs\\Report': { timeoutMs: 1500, retryOnCrash: true },
    });
    assert.equal(await app.get(JobRunner).run(context('GreetJob', { name: 'Ada' })), 'hello Ada');
  } finally {
    await app.close();
  }
});

test('two providers claiming one Resque class name fail at init', async () => {
  @Job({ queue: 'a', name: 'Same' })
  class First implements ResqueJob {
    perform(): void {}
  }
  @Job({ queue: 'b', name: 'Same' })
  class Second implements ResqueJob {
    perform(): void {}
  }
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: server.url, prefix: uniquePrefix() })],
    providers: [First, Second],
  }).compile();
  try {
    await assert.rejects(app.init(), (error: unknown) => {
      assert.ok(error instanceof DuplicateJobClassError);
      assert.equal(error.className, 'Same');
      assert.match(error.message, /claimed by both First and Second/);
      return true;
    });
  } finally {
    await app.close();
  }
});

test('a request-scoped @Job provider is refused with a clear error', async () => {
  @Job('scoped')
  class ScopedJob implements ResqueJob {
    perform(): void {}
  }
  Injectable({ scope: Scope.REQUEST })(ScopedJob);
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: server.url, prefix: uniquePrefix() })],
    providers: [ScopedJob],
  }).compile();
  try {
    await assert.rejects(app.init(), ScopedJobProviderError);
  } finally {
    await app.close();
  }
});

test('@InjectQueue gets a handle bound to its queue without any registration call', async () => {
  const { app, keys } = await bootResque(server, [Newsletter]);
  try {
    const handle = app.get(Newsletter).queue;
    assert.ok(handle instanceof QueueHandle);
    assert.equal(handle.name, 'newsletter');
    const id = await handle.enqueue('SendIssue', { issue: 7 });
    assert.match(id ?? '', /^[0-9a-f]{32}$/);
    assert.equal(await handle.size(), 1);
    const [peeked] = await handle.peek();
    assert.equal(peeked.payload?.className, 'SendIssue');
    assert.deepEqual(peeked.payload?.args, [{ issue: 7 }]);
    assert.deepEqual(await handle.enqueueBulk('SendIssue', [{ issue: 8 }, { issue: 9 }]).then((ids) => ids.length), 2);
    assert.equal(await app.get(QueueService).size('newsletter'), 3);
    assert.equal(keys.queue('newsletter').endsWith(':queue:newsletter'), true);
  } finally {
    await app.close();
  }
});

test('registerQueue provides handles explicitly, in a feature module', async () => {
  @Injectable()
  class Billing {
    constructor(@Inject(getQueueToken('billing-explicit')) readonly queue: QueueHandle) {}
  }
  @Module({ imports: [ResqueModule.registerQueue('billing-explicit')], providers: [Billing], exports: [Billing] })
  class BillingModule {}
  const app = await Test.createTestingModule({
    imports: [ResqueModule.forRoot({ connection: server.url, prefix: uniquePrefix() }), BillingModule],
  }).compile();
  await app.init();
  try {
    const billing = app.get(Billing);
    assert.equal(billing.queue.name, 'billing-explicit');
    assert.ok(await billing.queue.enqueue('Charge', { cents: 100 }));
    assert.equal(await billing.queue.size(), 1);
  } finally {
    await app.close();
  }
});

test('forRootAsync takes a factory with injected dependencies', async () => {
  const prefix = uniquePrefix('async');
  @Injectable()
  class Config {
    readonly url = server.url;
  }
  @Module({ providers: [Config], exports: [Config] })
  class ConfigModule {}
  const app = await Test.createTestingModule({
    imports: [
      ResqueModule.forRootAsync({
        imports: [ConfigModule],
        inject: [Config],
        useFactory: (config: Config): ResqueModuleOptions => ({ connection: config.url, prefix, worker: { count: 3 } }),
      }),
    ],
    providers: [Greeter, GreetJob],
  }).compile();
  await app.init();
  try {
    const options = app.get<ResqueModuleOptions>(RESQUE_MODULE_OPTIONS);
    assert.equal(options.prefix, prefix);
    assert.equal(options.worker?.count, 3);
    await app.get(QueueService).enqueue(GreetJob, { name: 'Bo' });
    assert.deepEqual(await app.get(QueueService).sizes(), { greetings: 1 });
    assert.ok(app.get(JobRegistry).get('GreetJob'));
  } finally {
    await app.close();
  }
});
