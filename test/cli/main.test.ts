import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The README's `## ` sections by title. */
function splitSections(readme: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of readme.split(/^(?=## )/m)) {
    const title = /^## (.*)/.exec(part)?.[1];
    if (title !== undefined) sections.set(title, part);
  }
  return sections;
}

/**
 * Where the README documents each command's flags: convert in its own sections, a read command in
 * its rows of the "Reading and checking" table, merge-summary where distributed runs are explained.
 */
const CONVERT_SECTIONS = ['convert', 'Image options', 'Datasets', 'Caffe LMDB', 'Converting on many machines'];
function documentationOf(command: string, sections: ReadonlyMap<string, string>): string {
  const section = (title: string): string => {
    const text = sections.get(title);
    assert.ok(text !== undefined, `README has a "## ${title}" section`);
    return text;
  };
  if (command === 'convert') return CONVERT_SECTIONS.map(section).join('\n');
  if (command === 'merge-summary') return section('Converting on many machines');
  const rows = section('Reading and checking').split('\n').filter((line) => line.startsWith(`| \`${command} `));
  assert.ok(rows.length > 0, `README's read command table has a row for ${command}`);
  return rows.join('\n');
}

test('the README documents every command and each flag in that command\'s own section, and starts with exactly `npm ci && npm start` and `npm test`', async () => {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(firstBlock, 'npm ci && npm start\nnpm test\n');
  const sections = splitSections(readme);
  const program = buildProgram();
  assert.ok(program.commands.length >= 6);
  const missing: string[] = [];
  for (const command of program.commands) {
    assert.ok(readme.includes(`img2tfrecord ${command.name()} `), `README shows a "${command.name()}" command line`);
    const text = documentationOf(command.name(), sections);
    for (const option of command.options) {
      // Either form documents the flag (`-o <dir>` in a command line, `--output` in a table).
      const forms = [option.long, option.short].filter((f) => f !== undefined);
      if (!forms.some((flag) => new RegExp(`${flag}(?![a-z-])`).test(text))) missing.push(`${command.name()} ${forms.join(', ')}`);
    }
  }
  assert.deepEqual(missing, [], 'flags missing from their command\'s README section');
});

test('a flag documented only under another command fails the README check', () => {
  const sections = splitSections('## convert\n`--shards <n>`\n## Reading and checking\n| `verify <files...> [--json]` | checks |\n| `inspect <files...>` | --decode |\n');
  assert.match(documentationOf('verify', sections), /--json/);
  assert.doesNotMatch(documentationOf('inspect', sections), /--json/, 'verify\'s --json does not document inspect\'s');
  assert.doesNotMatch(documentationOf('inspect', sections), /--shards/);
});

test('the README says what new users trip over: patterns relative to the input root, the default --fit, exit 3 next to every CI example', async () => {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  assert.match(readme, /relative to the input root/);
  assert.match(readme, /--exclude '\*\*\/thumbs\/\*\*'/);
  assert.doesNotMatch(readme, /--exclude 'thumbs\/\*\*'/, 'the example that keeps cat/thumbs/t.jpg is gone');
  assert.match(readme, /`--resize <WxH>` \| [^\n]*default `--fit cover`/);
  // CI examples: the jq step, the Kubernetes Job, the Slurm array and GNU parallel each carry the exit-3 note.
  for (const marker of ["| jq '.records, .skipped'", 'completionMode: Indexed', '#SBATCH --array', 'seq 0 7 | parallel']) {
    const at = readme.indexOf(marker);
    assert.ok(at >= 0, marker);
    const block = readme.slice(readme.lastIndexOf('```', at), readme.indexOf('```', at));
    assert.match(block, /exit(s)? 3[\s\S]*--ok-if-skipped|--ok-if-skipped[\s\S]*exit 3/, `exit 3 and --ok-if-skipped next to ${marker}`);
  }
});
