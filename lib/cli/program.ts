/**
 * The command line, parsed by commander (subcommands, --help, unknown options and missing arguments
 * reported in one line with exit 1). Every command opens Redis only after its arguments parsed.
 */
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from '../version.js';
import { openCliConnection } from './cli-connection.js';
import { printable } from '../protocol/printable.js';
import { queueNameProblem } from '../protocol/queue-name.js';
import { parseExact } from '../protocol/exact-json.js';
import * as commands from './commands.js';
import type { CliContext } from './commands.js';
import { isEmptyFilter, type FailedFilter } from '../client/failed-records.js';
import { NO_PROGRESS, progressBar } from './progress-bar.js';

export interface ProgramIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: bulk operations draw a progress bar there (never with --json). */
  readonly errIsTty?: boolean;
}

interface FilterOptions {
  readonly queue?: string;
  readonly class?: string;
  readonly exception?: string;
  readonly text?: string;
}

/** --queue, --class, --exception, --text: every one given must match (exactly; text anywhere in the record, any case). */
function withFilter(command: Command): Command {
  return command
    .option('--queue <name>', 'only records of this queue')
    .option('--class <name>', 'only records of this job class')
    .option('--exception <name>', 'only records with this exception name')
    .option('--text <text>', 'only records containing this text (any case)');
}

function filterOf(o: FilterOptions): FailedFilter {
  return { queue: o.queue, className: o.class, exception: o.exception, text: o.text };
}

function nonNegativeInteger(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError(`${name} must be a whole number >= 0`);
    return Number(value);
  };
}

function queueName(value: string): string {
  const problem = queueNameProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`queue name ${JSON.stringify(printable(value, 64))}: ${problem}`);
  return value;
}

function collectQueue(value: string, previous: string[]): string[] {
  return [...previous, queueName(value)];
}

/** JSON with integers beyond 2^53 kept exact (as bigint, written back as the same digits). */
function jsonValue(value: string): unknown {
  try {
    return parseExact(value).value;
  } catch (error) {
    throw new InvalidArgumentError(`not JSON (${(error as Error).message}); quote it for the shell, e.g. '{"to":"a@example.com"}'`);
  }
}

export function buildProgram(io: ProgramIo): Command {
  const withRedis = (run: (ctx: CliContext) => Promise<void>) => async () => {
    const { redis, keys } = await openCliConnection(io.env);
    try {
      await run({ redis, keys, out: io.out, progress: (label) => (io.errIsTty ? progressBar(io.err, label) : NO_PROGRESS) });
    } finally {
      redis.disconnect();
    }
  };
  const program = new Command('nestjs-resque')
    .description('Look at and steer Resque queues (REDIS_URL or REDIS_CLUSTER, PREFIX as for the worker; any Resque: PHP, Ruby, node)')
    .version(VERSION)
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text) })
    .showSuggestionAfterError()
    .exitOverride();

  program.command('queues').description('queues with their sizes and the age of their oldest job').option('--json', 'as JSON: [{"name","size","latencySeconds"}]')
    .action((o: { json?: boolean }) => withRedis((ctx) => commands.queues(ctx, !!o.json))());
  program.command('workers').description('registered workers and what each is running').option('--json', 'as JSON')
    .action((o: { json?: boolean }) => withRedis((ctx) => commands.workers(ctx, !!o.json))());
  program.command('stats').description('processed, failed, pending, workers, delayed, retrying, paused').option('--json', 'as JSON')
    .action((o: { json?: boolean }) => withRedis((ctx) => commands.stats(ctx, !!o.json))());

  const failed = program.command('failed').description('failed jobs: list, show, retry, remove, clear');
  withFilter(failed.command('list').description('failure records, oldest first (a filter scans the whole list)'))
    .option('--start <index>', 'first index', nonNegativeInteger('--start'), 0)
    .option('--count <n>', 'how many', nonNegativeInteger('--count'), 20).option('--json', 'as JSON')
    .action((o: FilterOptions & { start: number; count: number; json?: boolean }) => withRedis((ctx) => commands.failedList(ctx, o.start, o.count, !!o.json, filterOf(o)))());
  failed.command('show').description('one failure record in full, as JSON (payload, exception, backtrace)').argument('<index>', 'index in the failed list', nonNegativeInteger('index'))
    .action((index: number) => withRedis((ctx) => commands.failedShow(ctx, index))());
  /** One record by index, or in bulk: every record matching the filter, or --all. */
  const bulk = (command: Command, action: 'retry' | 'remove', index: number | undefined, o: FilterOptions & { all?: boolean; json?: boolean }): FailedFilter | null | undefined => {
    const filter = filterOf(o);
    const filtered = !isEmptyFilter(filter);
    if (index !== undefined) {
      if (filtered || o.all) command.error(`error: failed ${action} takes an index, or a filter / --all, not both`);
      return undefined;
    }
    if (!filtered && !o.all) command.error(`error: failed ${action} needs an index, a filter (--queue, --class, --exception, --text) or --all`);
    return filtered ? filter : null;
  };
  const retry = withFilter(failed.command('retry').description('requeue the failed job at <index> and remove its record (Resque requeue + remove), or every one matching a filter'))
    .argument('[index]', 'index in the failed list', nonNegativeInteger('index'))
    .option('--keep', 'keep the record, marked retried_at (Ruby\'s Failure.requeue; one index only)')
    .option('--all', 'every failed job').option('--json', 'bulk: the counts as JSON');
  retry.action((index: number | undefined, o: FilterOptions & { keep?: boolean; all?: boolean; json?: boolean }) => {
    const filter = bulk(retry, 'retry', index, o);
    if (filter === undefined) return withRedis((ctx) => commands.failedRetry(ctx, index!, !!o.keep))();
    if (o.keep) retry.error('error: --keep retries one index only');
    return withRedis((ctx) => commands.failedSweep(ctx, 'retry', filter, !!o.json))();
  });
  const remove = withFilter(failed.command('remove').description('remove the failure record at <index>, or every one matching a filter'))
    .argument('[index]', 'index in the failed list', nonNegativeInteger('index'))
    .option('--all', 'every failure record (as clear --yes, with a progress bar)').option('--json', 'bulk: the counts as JSON');
  remove.action((index: number | undefined, o: FilterOptions & { all?: boolean; json?: boolean }) => {
    const filter = bulk(remove, 'remove', index, o);
    if (filter === undefined) return withRedis((ctx) => commands.failedRemove(ctx, index!))();
    return withRedis((ctx) => commands.failedSweep(ctx, 'remove', filter, !!o.json))();
  });
  failed.command('clear').description('remove every failure record (needs --yes)').option('--yes', 'really remove them all')
    .action((o: { yes?: boolean }) => {
      if (!o.yes) failed.error('error: failed clear removes every failure record: add --yes');
      return withRedis((ctx) => commands.failedClear(ctx))();
    });

  program.command('pause').description("pause every worker (Ruby's pause-all-workers key: Ruby's workers and ours), or only the queues named (our workers, within ~1 s)")
    .argument('[queues...]', 'queues to pause (none: all workers)', collectQueue, [] as string[])
    .action((queues: string[]) => withRedis((ctx) => commands.pause(ctx, queues))());
  program.command('resume').description('undo pause (of every worker, or of the queues named)')
    .argument('[queues...]', 'queues to resume (none: all workers)', collectQueue, [] as string[])
    .action((queues: string[]) => withRedis((ctx) => commands.resume(ctx, queues))());
  program.command('enqueue').description("enqueue one job (our producers' format: {class, args: [data], id, queue_time}); prints its id")
    .argument('<queue>', 'queue name', queueName)
    .argument('<class>', 'Resque class name')
    .argument('[data]', 'the job data as JSON (args[0]; default null)', jsonValue, null)
    .option('--track', "create php-resque's status key (job:<id>:status)")
    .option('--json', 'print {"id","queue","class"}')
    .action((queue: string, className: string, data: unknown, o: { track?: boolean; json?: boolean }) =>
      withRedis((ctx) => commands.enqueue(ctx, queue, className, data, !!o.track, !!o.json))(),
    );
  return program;
}
