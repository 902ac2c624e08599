/** The tool's version, read once from package.json (same relative path from src/ and dist/). */
import { readFileSync } from 'node:fs';

/** Version of img2tfrecord, recorded in every summary. */
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
