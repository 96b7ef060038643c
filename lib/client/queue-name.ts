import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';

/** Non-empty, without whitespace or commas: worker ids and QUEUE lists split on those. */
export function isValidQueueName(queue: string): boolean {
  return typeof queue === 'string' && queue !== '' && !/[\s,]/.test(queue);
}

export function assertQueueName(queue: string): void {
  if (!isValidQueueName(queue)) throw new InvalidQueueNameError(queue);
}
