#!/usr/bin/env node
/** Executable entry point: runs the CLI and sets the process exit code. */
import { runCli } from './main.js';

// `img2tfrecord dump out/ | head`: a reader that stops early is normal for a CLI, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
