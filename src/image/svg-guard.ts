/** Keeps SVG input away from a heap corruption in sharp's bundled librsvg/libxml2: refuses what XML forbids, one SVG decode at a time. */
import { ImageError } from '../errors.js';

/**
 * Refuses (ImageError `corrupt`) an SVG holding a control character XML 1.0 forbids (NUL and the
 * C0 controls other than tab, LF and CR), naming the first one's offset. Such a file is not
 * well-formed, so librsvg would refuse it anyway, and its parse-error path is the one that
 * corrupted the heap when several ran at once (sharp 0.34.5: librsvg 2.61.2, libxml2 2.15.1).
 *
 * @example
 * checkSvgText(Buffer.from('<svg>\0</svg>'), { path: 'a.svg' }); // throws: NUL byte at offset 5
 */
export function checkSvgText(bytes: Uint8Array, context: { readonly path: string }): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) {
      const what = b === 0 ? 'a NUL byte' : `control character 0x${b.toString(16).padStart(2, '0')}`;
      throw new ImageError('corrupt', `SVG: not well-formed XML: ${what} at offset ${i} (XML 1.0 forbids it)`, { path: context.path });
    }
  }
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs SVG decodes one at a time in this process. Two SVG parse errors at once in sharp 0.34.5's
 * prebuilt libvips (librsvg 2.61.2 / libxml2 2.15.1) corrupt the native heap (`double free
 * detected in tcache 2`, SIGSEGV), even on fresh buffers; one at a time, 6,000 failing parses in a
 * row ran clean. Any malformed SVG takes that path (an unclosed tag as much as a NUL byte), so
 * refusing bad bytes is not enough. SVGs are rare in image datasets: the cost is small.
 *
 * The next SVG waits for this one to settle, or at most `maxWaitSeconds` (the file time limit; 0 =
 * no cap): a render that never ends must not stall every later SVG. A render still running past
 * its limit is past parsing, which is where the corruption happens.
 *
 * @example
 * const png = await serialiseSvg(() => sharp(svgBytes).png().toBuffer(), 60);
 */
export function serialiseSvg<T>(run: () => Promise<T>, maxWaitSeconds: number): Promise<T> {
  const result = queue.then(run, run);
  const settled = result.then(() => undefined, () => undefined);
  queue = maxWaitSeconds <= 0 ? settled : Promise.race([settled, delay(maxWaitSeconds * 1000)]);
  return result;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    // unref: a pending cap must not keep a finished process alive.
    setTimeout(resolve, ms).unref();
  });
}
