/**
 * php-resque's job status (`job:<id>:status`): `{"status":<code>,"updated":<epoch s>}`.
 * Created WAITING at enqueue; the worker only updates a key that exists (`SET ... XX`), and
 * finished statuses expire after 24 hours, as in php-resque.
 */
import { epochSeconds } from './time.js';

export const JobStatus = {
  Waiting: 1,
  Running: 2,
  Failed: 3,
  Complete: 4,
} as const;
export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

export const FINISHED_STATUS_TTL_SECONDS = 86_400;

/** `started` is written at enqueue only, as php-resque does; later updates drop it. */
export function statusJson(status: JobStatusCode, now = new Date(), withStarted = false): string {
  const t = epochSeconds(now);
  return withStarted ? `{"status":${status},"updated":${t},"started":${t}}` : `{"status":${status},"updated":${t}}`;
}

export interface JobStatusRecord {
  readonly status: JobStatusCode;
  readonly updated: number;
  readonly started?: number;
  /** The attempt a job waiting to be retried is on (written by retry.lua; 1 = the first run). */
  readonly attempt?: number;
}

export function parseStatus(raw: string | null): JobStatusRecord | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as { status?: unknown; updated?: unknown; started?: unknown; attempt?: unknown };
    if (typeof parsed.status !== 'number' || parsed.status < 1 || parsed.status > 4) return null;
    return {
      status: parsed.status as JobStatusCode,
      updated: typeof parsed.updated === 'number' ? parsed.updated : 0,
      started: typeof parsed.started === 'number' ? parsed.started : undefined,
      ...(typeof parsed.attempt === 'number' ? { attempt: parsed.attempt } : {}),
    };
  } catch {
    return null;
  }
}
