import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the README documents every command and every flag of each, and starts with exactly `npm ci && npm start` and `npm test`', async () => {
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(firstBlock, 'npm ci && npm start\nnpm test\n');
  const program = buildProgram();
  assert.ok(program.commands.length >= 6);
  for (const command of program.commands) {
    assert.ok(readme.includes(`img2tfrecord ${command.name()} `), `README shows a "${command.name()}" command line`);
    for (const option of command.options) {
      const flag = option.long ?? option.short;
      assert.ok(flag !== undefined && new RegExp(`${flag}(?![a-z-])`).test(readme), `README documents ${command.name()} ${flag}`);
    }
  }
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
