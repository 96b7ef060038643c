/** `npm run chaos`: the long chaos run. CHAOS_JOBS (100000), CHAOS_SECONDS (240), CHAOS_COUNT (3), CHAOS_CONCURRENCY (8), CHAOS_JOB_MS (2). */
import { runChaos } from './chaos-run.js';

const report = await runChaos({
  jobs: Number(process.env.CHAOS_JOBS ?? 100_000),
  chaosMs: Number(process.env.CHAOS_SECONDS ?? 240) * 1000,
  settleMs: 600_000,
  count: Number(process.env.CHAOS_COUNT ?? 3),
  concurrency: Number(process.env.CHAOS_CONCURRENCY ?? 8),
  everyMs: Number(process.env.CHAOS_EVERY_MS ?? 700),
  jobMs: Number(process.env.CHAOS_JOB_MS ?? 2),
  seed: Number(process.env.CHAOS_SEED ?? Date.now() % 100000),
  log: (line) => console.log(`chaos: ${line}`),
});
console.log(JSON.stringify(report, null, 2));
process.exit(report.lost === 0 && report.failedWithoutReason === 0 ? 0 : 1);
