/** What `beforeEnqueue` and `afterEnqueue` listeners get (php-resque passes class, args, queue, id). */
export interface EnqueueContext {
  readonly queue: string;
  readonly className: string;
  readonly data: unknown;
  /** The id the job will have (beforeEnqueue) or has (afterEnqueue). */
  readonly id: string;
  readonly tracked: boolean;
}
