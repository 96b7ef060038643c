/**
 * OpenTelemetry spans for Resque jobs: a PRODUCER span around each enqueue (one per enqueue call, a
 * bulk included) and a CONSUMER span around each perform, its child across processes. The trace
 * context travels in the payload's `otel` field (the propagator's carrier, W3C `traceparent` and
 * `tracestate` by default), which other Resques ignore (they keep only `class` and `args`, and PHP
 * `id`/`queue_time`; protocol/payload.ts). Nest-free: the worker's assembly uses it too.
 *
 * Uses the application's global tracer provider and propagator (the OTel SDK's registration); with
 * none registered, the API is a no-op and no field is written.
 */
import type { Span } from '@opentelemetry/api';
import type { JobContext } from '../worker/job-context.js';
import { loadOtel, type Otel } from './load-otel.js';

const TRACER_NAME = 'nestjs-resque';

export class ResqueTracing {
  private constructor(private readonly otel: Otel) {}

  static async load(): Promise<ResqueTracing> {
    return new ResqueTracing(await loadOtel('Tracing (ResqueModule.forRoot({ tracing: true }))'));
  }

  private get tracer() {
    return this.otel.trace.getTracer(TRACER_NAME);
  }

  /**
   * Runs an enqueue of `count` jobs inside a `send <queue>` span; `write` gets the carrier's JSON for
   * the payloads (undefined when the propagator injects nothing).
   */
  enqueue<T>(queue: string, className: string, count: number, write: (trace: string | undefined) => Promise<T>): Promise<T> {
    const { otel } = this;
    return this.tracer.startActiveSpan(
      `send ${queue}`,
      {
        kind: otel.SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'resque',
          'messaging.operation.type': 'send',
          'messaging.destination.name': queue,
          'resque.class': className,
          ...(count === 1 ? {} : { 'messaging.batch.message_count': count }),
        },
      },
      (span) => {
        const carrier: Record<string, string> = {};
        otel.propagation.inject(otel.context.active(), carrier);
        const trace = Object.keys(carrier).length > 0 ? JSON.stringify(carrier) : undefined;
        return ended(span, otel, write(trace));
      },
    );
  }

  /** Runs a job inside a `process <queue>` span whose parent is the enqueue's (from the payload's carrier). */
  perform<T>(context: JobContext, run: () => Promise<T>): Promise<T> {
    const { otel } = this;
    const parent = context.trace ? otel.propagation.extract(otel.ROOT_CONTEXT, context.trace) : otel.ROOT_CONTEXT;
    return this.tracer.startActiveSpan(
      `process ${context.queue}`,
      {
        kind: otel.SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'resque',
          'messaging.operation.type': 'process',
          'messaging.destination.name': context.queue,
          'resque.class': context.className,
          'resque.worker': context.workerId,
          'resque.attempt': context.attempt,
          ...(context.id === undefined ? {} : { 'messaging.message.id': context.id }),
        },
      },
      parent,
      (span) => ended(span, otel, run()),
    );
  }
}

/** Ends `span` when `work` settles; a rejection is recorded on it (status ERROR) and passed on. */
async function ended<T>(span: Span, otel: Otel, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}
