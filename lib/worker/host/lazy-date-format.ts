/**
 * A child-bundle source transform (child-bundle-build.ts): Nest's logger files create an
 * `Intl.DateTimeFormat` when they load, for the timestamp of a log line. The first DateTimeFormat of
 * a process starts ICU (locale and time zone data): about 10 ms of CPU here, and more of wall time,
 * in every child's boot, though a worker child logs nothing until something goes wrong. In the
 * bundle the formatter is made on its first `format()` instead, with the same arguments.
 *
 * Applied only where the file uses the formatter for nothing but `format(...)`; any other shape (a
 * later Nest) is left as it is, so the worst case is the boot cost, never a broken logger.
 */

/** The files whose module-level formatter is deferred (@nestjs/common's Logger and ConsoleLogger). */
const LOGGER_FILE = /[\\/]@nestjs[\\/]common[\\/]services[\\/](console-)?logger\.service\.js$/;
const DECLARATION = /\bconst dateTimeFormatter = new Intl\.DateTimeFormat\(/g;
const HELPER = '__resqueFirstUseDateTimeFormat';

export function deferDateTimeFormat(path: string, source: string): string {
  if (!LOGGER_FILE.test(path)) return source;
  const declarations = source.match(DECLARATION)?.length ?? 0;
  const uses = source.match(/\bdateTimeFormatter\b/g)?.length ?? 0;
  const formats = source.match(/\bdateTimeFormatter\.format\(/g)?.length ?? 0;
  if (declarations !== 1 || uses !== declarations + formats || source.includes(HELPER)) return source;
  const helper =
    `function ${HELPER}(locales, options) {` +
    ` let formatter; return { format: (date) => (formatter ??= new Intl.DateTimeFormat(locales, options)).format(date) }; }\n`;
  return source.replace(DECLARATION, `const dateTimeFormatter = ${HELPER}(`) + `\n${helper}`;
}
