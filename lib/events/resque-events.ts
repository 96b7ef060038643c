/**
 * The library's events as one typed stream. Each event is one object with a `type`
 * discriminant; subscribe to `events$` and narrow on `type`.
 *
 * Emission costs one property read when nobody subscribes: producers check `observed`
 * before they build an event.
 */
import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';

interface JobEventBase {
  readonly queue: string;
  readonly className: string;
  /** php-resque job id; absent for payloads from producers that write none. */
  readonly id?: string;
}

export interface JobEnqueuedEvent extends JobEventBase {
  readonly type: 'job.enqueued';
  readonly id: string;
}
export interface JobStartedEvent extends JobEventBase {
  readonly type: 'job.started';
  readonly workerId: string;
}
export interface JobCompletedEvent extends JobEventBase {
  readonly type: 'job.completed';
  readonly workerId: string;
  readonly durationMs: number;
}
export interface JobFailedEvent extends JobEventBase {
  readonly type: 'job.failed';
  readonly workerId: string;
  readonly durationMs: number;
  readonly error: unknown;
}
/** A `beforePerform` hook or `setUp()` threw DontPerformError: the job counts as done without running. */
export interface JobSkippedEvent extends JobEventBase {
  readonly type: 'job.skipped';
  readonly workerId: string;
  readonly reason: string;
}
/** A `beforeEnqueue` hook threw DontCreateError: nothing was written. */
export interface EnqueueCancelledEvent {
  readonly type: 'job.enqueue-cancelled';
  readonly queue: string;
  readonly className: string;
  readonly reason: string;
}

export type ResqueEvent =
  | JobEnqueuedEvent
  | JobStartedEvent
  | JobCompletedEvent
  | JobFailedEvent
  | JobSkippedEvent
  | EnqueueCancelledEvent;

export type ResqueEventType = ResqueEvent['type'];

/** @publicApi */
@Injectable()
export class ResqueEvents {
  private readonly subject = new Subject<ResqueEvent>();
  readonly events$: Observable<ResqueEvent> = this.subject.asObservable();

  /** True when someone subscribes; check it before building an event on a hot path. */
  get observed(): boolean {
    return this.subject.observed;
  }

  emit(event: ResqueEvent): void {
    if (this.subject.observed) this.subject.next(event);
  }
}
