/**
 * Job outcomes as our workers publish them for other processes (pub/sub channel `events`, and
 * `results:<bucket>` for a job with an id; see keys.ts). Resque peers never read either.
 *
 * Wire form, one JSON object per job (a message is a JSON array of them, jobs with an id first):
 *   {"type":"completed"|"failed","queue":…,"class":…,"id":…,"worker":…,"ms":<duration>,
 *    "exception":…,"error":…}          (id absent for payloads without one; exception/error only when failed)
 * Everything read back is untrusted: decodeOutcome checks every field and drops what does not fit.
 */
import type { FailureRecordParts } from './failure.js';

/** Width of one results bucket (`results:<bucket>`, a hash of the outcomes recorded in that minute). */
export const RESULT_BUCKET_SECONDS = 60;

/** The results bucket of a moment (epoch ms). */
export function resultBucket(epochMs: number): number {
  return Math.floor(epochMs / 1000 / RESULT_BUCKET_SECONDS);
}

/** A failed job's exception class name and error text, as its failure record holds them. */
export interface FailureSummary {
  readonly exception: string;
  readonly message: string;
}

interface OutcomeBase {
  readonly queue: string;
  readonly className: string;
  readonly id?: string;
  readonly workerId: string;
  readonly durationMs: number;
}

export interface JobCompletedOutcome extends OutcomeBase {
  readonly type: 'job.completed';
}
export interface JobFailedOutcome extends OutcomeBase {
  readonly type: 'job.failed';
  readonly error: FailureSummary;
}
export type JobOutcome = JobCompletedOutcome | JobFailedOutcome;

export function encodeOutcome(outcome: JobOutcome): string {
  // By concatenation, with the JSON of the strings that repeat job after job kept: this runs per job.
  let text = `{"type":${outcome.type === 'job.completed' ? '"completed"' : '"failed"'},"queue":${quoted(outcome.queue, 0)},"class":${quoted(outcome.className, 1)}`;
  if (outcome.id !== undefined) text += `,"id":${JSON.stringify(outcome.id)}`;
  text += `,"worker":${quoted(outcome.workerId, 2)},"ms":${Math.round(outcome.durationMs * 1000) / 1000}`;
  if (outcome.type === 'job.failed') text += `,"exception":${JSON.stringify(outcome.error.exception)},"error":${JSON.stringify(outcome.error.message)}`;
  return `${text}}`;
}

/** The last queue, class and worker quoted, each with its JSON. */
const lastText = ['', '', ''];
const lastJson = ['""', '""', '""'];
function quoted(value: string, slot: number): string {
  if (lastText[slot] !== value) {
    lastText[slot] = value;
    lastJson[slot] = JSON.stringify(value);
  }
  return lastJson[slot];
}

/** A message from the channel; anything that is not a list of outcomes gives []. */
export function decodeOutcomes(message: string): JobOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: JobOutcome[] = [];
  for (const item of parsed) {
    const outcome = outcomeOf(item);
    if (outcome) out.push(outcome);
  }
  return out;
}

/** A recorded outcome (a field of `results:<bucket>`), or undefined when it is not one. */
export function decodeOutcome(text: string): JobOutcome | undefined {
  try {
    return outcomeOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function outcomeOf(value: unknown): JobOutcome | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.queue !== 'string' || typeof v.class !== 'string' || typeof v.worker !== 'string') return undefined;
  if (typeof v.ms !== 'number' || !Number.isFinite(v.ms)) return undefined;
  if (v.id !== undefined && typeof v.id !== 'string') return undefined;
  const base = {
    queue: v.queue,
    className: v.class,
    ...(typeof v.id === 'string' ? { id: v.id } : {}),
    workerId: v.worker,
    durationMs: v.ms,
  };
  if (v.type === 'completed') return { type: 'job.completed', ...base };
  if (v.type === 'failed' && typeof v.exception === 'string' && typeof v.error === 'string') {
    return { type: 'job.failed', ...base, error: { exception: v.exception, message: v.error } };
  }
  return undefined;
}

/** The exception and error of a failure record built by failureRecordParts (its tail is `,"exception":…,"error":…,…}`). */
export function failureSummaryOf(record: FailureRecordParts): FailureSummary {
  try {
    const fields = JSON.parse(`{${record.tail.slice(1)}`) as { exception?: unknown; error?: unknown };
    return { exception: String(fields.exception ?? 'Error'), message: String(fields.error ?? '') };
  } catch {
    return { exception: 'Error', message: '' };
  }
}
