/** @publicApi */
export interface JobOptions {
  /** The queue this job is enqueued on by `enqueue(JobClass, data)`. */
  readonly queue: string;
  /** The Resque class name on the wire (`class`). Default: the class's name when the decorator runs. */
  readonly name?: string;
  /** Milliseconds the job may run before its process is killed and the job failed; 0 = no limit. */
  readonly timeout?: number;
  /** After the job's process crashed, put the job back instead of failing it (default false). */
  readonly retryOnCrash?: boolean;
}

/** `JobOptions` with the defaults applied and the class name fixed at decoration time. */
export interface JobMetadata {
  readonly queue: string;
  readonly name: string;
  readonly timeout: number;
  readonly retryOnCrash: boolean;
}
