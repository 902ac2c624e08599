#!/usr/bin/env node
/** Executable entry point: runs the CLI and sets the process exit code. */
import { abandonedImageWork } from '../image/limits.js';
import { runCli } from './main.js';

// `img2tfrecord dump out/ | head`: a reader that stops early is normal for a CLI, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const code = await runCli(process.argv.slice(2));
// An image operation given up on by --file-timeout may still run natively and would keep the
// process alive until it ends (minutes, or never): exit now, the run is complete.
if (abandonedImageWork() > 0) process.exit(code);
process.exitCode = code;
