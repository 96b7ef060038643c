// The child bundle's transform of Nest's logger files (lib/worker/host/lazy-date-format.ts): the
// installed @nestjs/common is the input, so a Nest release that changes the files' shape fails
// here instead of silently bringing ICU's start back into every child's boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { deferDateTimeFormat } from '../../lib/worker/host/lazy-date-format.js';

const services = join(dirname(createRequire(import.meta.url).resolve('@nestjs/common/package.json')), 'services');

for (const file of ['logger.service.js', 'console-logger.service.js']) {
  test(`@nestjs/common ${file}: no DateTimeFormat at load, the same text at the first format()`, () => {
    const path = join(services, file);
    const source = readFileSync(path, 'utf8');
    const out = deferDateTimeFormat(path, source);
    assert.notEqual(out, source, 'the transform applies to the installed Nest');
    const declaration = /const dateTimeFormatter = (\w+)\(([^;]*?)\);/s.exec(out);
    assert.ok(declaration, 'the formatter is made by the helper');
    // The helper and the arguments as transformed, run alone: nothing is created until format().
    const helper = /function __resqueFirstUseDateTimeFormat[^\n]*/.exec(out)![0];
    let created = 0;
    const RealDateTimeFormat = Intl.DateTimeFormat;
    const counting = function (...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
      created++;
      return new RealDateTimeFormat(...args);
    } as unknown as typeof Intl.DateTimeFormat;
    const make = new Function('Intl', `${helper}\nreturn ${declaration[1]}(${declaration[2]});`) as (intl: unknown) => { format(date: number): string };
    const formatter = make({ DateTimeFormat: counting });
    assert.equal(created, 0, 'nothing created at load');
    const at = Date.UTC(2024, 5, 10, 12, 34, 56);
    const options = new Function(`return ${declaration[2].replace(/^undefined,\s*/, '')}`)() as Intl.DateTimeFormatOptions;
    assert.equal(formatter.format(at), new RealDateTimeFormat(undefined, options).format(at));
    formatter.format(at);
    assert.equal(created, 1, 'one formatter, made at the first format()');
  });
}

test('files of another shape, and other files, are left as they are', () => {
  const path = join(services, 'console-logger.service.js');
  const other = `const dateTimeFormatter = new Intl.DateTimeFormat(undefined, {});\nexport const parts = (d) => dateTimeFormatter.formatToParts(d);\n`;
  assert.equal(deferDateTimeFormat(path, other), other, 'a use other than format()');
  const plain = `const dateTimeFormatter = new Intl.DateTimeFormat(undefined, {});\nexport const f = (d) => dateTimeFormatter.format(d);\n`;
  assert.equal(deferDateTimeFormat('/app/node_modules/other/logger.service.js', plain), plain, 'not a Nest logger file');
  assert.notEqual(deferDateTimeFormat(path, plain), plain);
});
