import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, type Option } from 'commander';
import { CONVERT_OPTION_TABLE, CONVERT_OPTION_KEYS, IMAGE_OPTION_KEYS, type ConvertOptionKey, type OptionSpec } from '../../src/convert/option-table.js';
import type { ConvertOptions, ResolvedConvertOptions } from '../../src/convert/options.js';
import type { ImageOptions } from '../../src/image/index.js';
import { buildProgram } from '../../src/cli/main.js';
import { buildFlagOption, toConvertOptions } from '../../src/cli/commands/convert.js';
import { flagOf } from '../../src/cli/flag-names.js';
import { DEFAULT_PROGRESS_INTERVAL } from '../../src/cli/progress.js';

// Compile-time: the library type, the table and the image stage's options agree (tsc --noEmit fails otherwise).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeKeysAreTableKeys: Same<keyof ConvertOptions, ConvertOptionKey> = true;
const imageOptionsAreConvertOptions: Same<Pick<ConvertOptions, keyof ImageOptions>, ImageOptions> = true;
const resolvedHasNewOptions: Same<Pick<ResolvedConvertOptions, 'annotations' | 'tfdsName'>, { readonly annotations: string | null; readonly tfdsName: string | null }> = true;
const outputIsRequired: Same<Pick<ConvertOptions, 'output'>, { readonly output: string }> = true;

const TABLE = CONVERT_OPTION_TABLE as Readonly<Record<string, OptionSpec>>;

function convertCommand(): Command {
  const command = buildProgram().commands.find((c) => c.name() === 'convert');
  assert.ok(command !== undefined);
  return command;
}

test('the type-level checks hold (they are compile-time; this keeps them referenced)', () => {
  assert.deepEqual([typeKeysAreTableKeys, imageOptionsAreConvertOptions, resolvedHasNewOptions, outputIsRequired], [true, true, true, true]);
});

test('convert\'s flags are exactly the table\'s rows with a flag, in table order, with the table\'s help', () => {
  const options = convertCommand().options;
  const rows = Object.values(TABLE).filter((spec) => spec.flag !== null);
  assert.deepEqual(options.map((o) => o.flags), rows.map((spec) => spec.flag));
  assert.deepEqual(options.map((o) => o.description), rows.map((spec) => spec.help));
  for (const [option, spec] of options.map((o, i) => [o, rows[i]] as const)) {
    assert.deepEqual(option.argChoices, spec?.choices === undefined ? undefined : [...spec.choices], option.flags);
    assert.equal(option.mandatory, spec?.required === true, option.flags);
  }
});

test('--help lists every flag of the table with its help text', () => {
  const help = convertCommand().helpInformation().replace(/\s+/g, ' ');
  for (const spec of Object.values(TABLE)) {
    if (spec.flag === null || spec.help === null) continue;
    assert.ok(help.includes(spec.flag), spec.flag);
    assert.ok(help.includes(spec.help.replace(/\s+/g, ' ')), `help of ${spec.flag}`);
  }
  assert.match(CONVERT_OPTION_TABLE.progressInterval.help, new RegExp(`\\(default ${DEFAULT_PROGRESS_INTERVAL}\\)`));
});

test('the image rows are the image stage\'s options; library keys exclude CLI-only flags', () => {
  assert.deepEqual([...IMAGE_OPTION_KEYS].sort(), ['autoOrient', 'background', 'centerCrop', 'channelOrder', 'channels', 'chromaSubsampling', 'density', 'depth',
    'dtype', 'encode', 'enlarge', 'fit', 'icc', 'kernel', 'layout', 'maxPixels', 'pngCompression', 'quality', 'resize', 'resizeShorter', 'scale', 'validate']);
  for (const cliOnly of ['workers', 'json', 'quiet', 'progressInterval', 'okIfSkipped']) assert.ok(!(CONVERT_OPTION_KEYS as readonly string[]).includes(cliOnly), cliOnly);
  for (const key of ['annotations', 'annotationsFormat', 'annotatedOnly', 'minBoxVisible', 'annotationFrame', 'tfdsName']) {
    assert.ok((CONVERT_OPTION_KEYS as readonly string[]).includes(key), key);
  }
});

test('errors name each library option by its flag from the table', () => {
  for (const key of CONVERT_OPTION_KEYS) {
    const spec = TABLE[key];
    assert.ok(spec !== undefined);
    const expected = spec.flag === null ? spec.cliName : spec.flag.startsWith('--no-') ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : spec.flag.split(/[ ,]/)[0];
    assert.equal(flagOf(key), expected, key);
  }
  assert.equal(flagOf('tfdsName'), '--tfds-name');
  assert.equal(flagOf('minBoxVisible'), '--min-box-visible');
});

/** Parses a convert command line into library options, without running the conversion. */
async function parseConvert(argv: readonly string[]): Promise<ConvertOptions> {
  const command = convertCommand();
  let parsed: Promise<ConvertOptions> | null = null;
  command.action((input: string | undefined, flags: Record<string, unknown>) => { parsed = toConvertOptions(input, flags as { output: string }); });
  await command.parent?.parseAsync(['convert', ...argv], { from: 'user' });
  assert.ok(parsed !== null);
  return parsed;
}

test('the CLI maps every flag to its library option through the table (new options included)', async () => {
  const options = await parseConvert([
    'photos', '-o', 'out', '--shards', '4', '--column', 'age:int64', '--column', 'w:float', '--key', 'a=b', '--no-auto-orient', '--scale', '1',
    '--resize', '8x6', '--worker', '1/3', '--annotations', 'ann/', '--annotations-format', 'voc', '--annotated-only', '--min-box-visible', '0.25',
    '--annotation-frame', 'stored', '--tfds-name', 'my_photos', '--json', '--workers', '3',
  ]);
  assert.deepEqual({ ...options }, {
    input: 'photos', output: 'out', shards: 4, columns: { age: 'int64', w: 'float' }, keys: ['a=b'], autoOrient: false, scale: 1, enlarge: true,
    resize: { width: 8, height: 6 }, worker: { index: 1, count: 3 }, annotations: 'ann/', annotationsFormat: 'voc', annotatedOnly: true,
    minBoxVisible: 0.25, annotationFrame: 'stored', tfdsName: 'my_photos', prefix: 'train',
  });
});

test('a flag parser from the table refuses a bad value naming the flag', async () => {
  const command = convertCommand();
  let err = '';
  command.configureOutput({ writeErr: (s) => { err += s; }, writeOut: () => {} });
  await assert.rejects(command.parent?.parseAsync(['convert', 'p', '-o', 'o', '--min-box-visible', '2'], { from: 'user' }) ?? Promise.reject(new Error('no parent')));
  assert.match(err, /--min-box-visible takes a number from 0 to 1/);
});

test('a new option is one row: buildFlagOption turns a row into its commander flag', () => {
  const row: OptionSpec = { flag: '--frobnicate <n>', help: 'frobnicate N times', group: 'run', library: true, parse: { kind: 'integer', min: 1, max: 9 } };
  const option = buildFlagOption(row) as Option;
  assert.equal(option.long, '--frobnicate');
  assert.equal(option.attributeName(), 'frobnicate');
  assert.equal(option.description, 'frobnicate N times');
  assert.equal(option.parseArg?.('3', undefined), 3);
  assert.throws(() => option.parseArg?.('10', undefined), /--frobnicate takes an integer from 1 to 9/);
  assert.equal(buildFlagOption({ flag: null, help: null, group: 'input', library: true }), null);
});
