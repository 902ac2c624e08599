#!/usr/bin/env node
/** Executable entry point: runs the CLI and sets the process exit code. */
import { applyHeapFlags } from './heap-flags.js';

// Before the CLI's modules load, so the young generation never grows past its starting size.
applyHeapFlags();
const { runCli } = await import('./main.js');

// `img2tfrecord dump out/ | head`: a reader that stops early is normal for a CLI, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2));
