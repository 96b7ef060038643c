/** Numbers, times and durations as the pages show them (plain text: the html tag escapes it). */

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "3 s", "4 min 10 s", "2 h 5 min", "3 d 4 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "2026-12-02 04:31:07 UTC". */
export function timestamp(date: Date | null | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "5 min ago" / "in 2 h 3 min" from `now`. */
export function relative(date: Date | null | undefined, now: number): string {
  if (!date || Number.isNaN(date.getTime())) return '—';
  const delta = date.getTime() - now;
  return delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}

/** A time as some Resque wrote it (ISO, PHP's date('c'), JS Date#toString...): parsed when possible. */
export function parseLooseTime(text: string | null | undefined): Date | null {
  if (!text) return null;
  const parsed = Date.parse(text);
  if (Number.isFinite(parsed)) return new Date(parsed);
  // Ruby's strftime('%Y/%m/%d %H:%M:%S %Z') (old failure records)
  const ruby = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}:\d{2}:\d{2})(?: (.*))?$/.exec(text);
  if (ruby) {
    const again = Date.parse(`${ruby[1]}-${ruby[2]}-${ruby[3]}T${ruby[4]}${ruby[5] && /^[+-]\d{4}$/.test(ruby[5]) ? ruby[5] : 'Z'}`);
    if (Number.isFinite(again)) return new Date(again);
  }
  return null;
}
