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
