/**
 * OpenTelemetry across a real worker: this process enqueues inside a span (tracing: true), a forked
 * host's child (its own OTel SDK, exporting spans to Redis) performs the job, and its `process` span
 * is a child of our `send` span, in the same trace, through the payload's `otel` field.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { QueueService } from '../../lib/index.js';
import { registerTestTracing, spanRecord, type SpanRecord } from '../support/otel.js';
import { bootResque, type ResqueTestApp } from '../support/resque-testing-module.js';
import { waitFor } from '../support/wait.js';
import { E2eRedis } from './support/e2e-redis.js';
import { useHostTestEnvironment } from './support/host-test-environment.js';

const TRACING_WORKER = fileURLToPath(new URL('../fixtures/tracing-worker.js', import.meta.url));
const TEST = { timeout: 40_000 };
const env = useHostTestEnvironment();
const exporter = new InMemorySpanExporter();
const apps: ResqueTestApp[] = [];
before(() => {
  registerTestTracing(exporter);
});
after(async () => {
  for (const { app } of apps) await app.close();
});

async function childSpans(t: E2eRedis, count: number): Promise<SpanRecord[]> {
  return waitFor(async () => {
    const lines = await env.redis.lrange(`${t.prefix}:test:spans`, 0, -1);
    return lines.length >= count ? lines.map((line) => JSON.parse(line) as SpanRecord) : undefined;
  }, `${count} span(s) from the worker`, 20_000);
}

describe('OpenTelemetry tracing', () => {
  test("perform's span is a child of enqueue's, across a forked worker; a failing job's span is an error", TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const booted = await bootResque(env.server, [], { prefix: t.prefix, tracing: true });
    apps.push(booted);
    const queue = booted.app.get(QueueService);
    const tracer = trace.getTracer('test');
    const [ok, bad] = await tracer.startActiveSpan('request', async (span) => {
      try {
        return [await queue.enqueue('e2e', 'EchoJob', { n: 1 }, true), await queue.enqueue('e2e', 'NoSuchJob', { n: 2 })];
      } finally {
        span.end();
      }
    });
    // Before any worker runs: the payload carries the W3C context in a field other Resques ignore.
    const [payload] = await env.redis.lrange(t.keys.queue('e2e'), 0, 0);
    const parsed = JSON.parse(payload!) as { otel?: { traceparent?: string }; id: string };
    assert.match(parsed.otel?.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(parsed.id, ok);

    env.hosts.start(t.env(), [], TRACING_WORKER);
    const spans = await childSpans(t, 2);
    const ours = exporter.getFinishedSpans().map(spanRecord);
    const request = ours.find((s) => s.name === 'request')!;
    const sends = ours.filter((s) => s.name === 'send e2e');
    assert.equal(sends.length, 2);
    for (const send of sends) {
      assert.equal(send.kind, SpanKind.PRODUCER);
      assert.equal(send.parentSpanId, request.spanId, 'enqueue span inside the caller span');
      assert.equal(send.attributes['messaging.destination.name'], 'e2e');
    }
    const processOf = (id: string | null) => spans.find((s) => s.name === 'process e2e' && s.attributes['messaging.message.id'] === id)!;
    const performed = processOf(ok);
    const failed = processOf(bad);
    assert.ok(performed && failed, JSON.stringify(spans));
    const sendOf = (className: string) => sends.find((s) => s.attributes['resque.class'] === className)!;
    assert.equal(performed.kind, SpanKind.CONSUMER);
    assert.equal(performed.traceId, request.traceId, 'one trace from the request to the worker');
    assert.equal(performed.parentSpanId, sendOf('EchoJob').spanId, "perform's parent is its enqueue");
    assert.equal(performed.status, SpanStatusCode.UNSET);
    assert.equal(failed.parentSpanId, sendOf('NoSuchJob').spanId);
    assert.equal(failed.status, SpanStatusCode.ERROR);
    assert.equal(performed.attributes['resque.class'], 'EchoJob');
    // The otel field sits before "id": the worker still finds the php-resque status key of a traced job.
    await waitFor(async () => (await t.status(ok!))?.status === 4, 'status COMPLETE of the traced, tracked job');
  });

  test("a delayed job keeps its trace: promoted by the host's scheduler, perform's span is the child of enqueueIn's", TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const booted = await bootResque(env.server, [], { prefix: t.prefix, tracing: true });
    apps.push(booted);
    const queue = booted.app.get(QueueService);
    exporter.reset();
    const id = await queue.enqueueIn(500, 'e2e', 'EchoJob', { delayed: true }, true);
    const [second] = await env.redis.zrange(t.keys.delayedSchedule, '0', '0');
    const [item] = await env.redis.lrange(t.keys.delayed(Number(second)), 0, 0);
    assert.match((JSON.parse(item!) as { otel?: { traceparent?: string } }).otel?.traceparent ?? '', /^00-[0-9a-f]{32}-/, 'the delayed item carries the context');
    env.hosts.start(t.env(), [], TRACING_WORKER);
    const [performed] = await childSpans(t, 1);
    const send = exporter.getFinishedSpans().map(spanRecord).find((s) => s.name === 'send e2e')!;
    assert.equal(performed.name, 'process e2e');
    assert.equal(performed.attributes['messaging.message.id'], id);
    assert.equal(performed.traceId, send.traceId);
    assert.equal(performed.parentSpanId, send.spanId);
  });

  test('without tracing: no otel field, no span', TEST, async () => {
    const t = new E2eRedis(env.server, env.redis);
    const booted = await bootResque(env.server, [], { prefix: t.prefix });
    apps.push(booted);
    exporter.reset();
    await booted.app.get(QueueService).enqueue('e2e', 'EchoJob', { n: 3 });
    const [payload] = await env.redis.lrange(t.keys.queue('e2e'), 0, 0);
    assert.equal((JSON.parse(payload!) as { otel?: unknown }).otel, undefined);
    assert.deepEqual(exporter.getFinishedSpans(), []);
  });
});
