/** Time formats of the Resque family. Readers must accept all of them; we write Ruby's. */

/** Ruby's failure time, `2024/06/10 12:34:56 UTC`, which `DateTime.parse` and `Date.parse` both read. */
export function resqueTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}/${p(date.getUTCMonth() + 1)}/${p(date.getUTCDate())} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} UTC`
  );
}

/** ISO-8601 without milliseconds, as Ruby writes `run_at` and heartbeats: `2024-06-10T12:34:56Z`. */
export function isoTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function epochSeconds(date = new Date()): number {
  return Math.floor(date.getTime() / 1000);
}
