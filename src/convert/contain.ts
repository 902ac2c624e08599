/** Containment: anything unexpected while processing one input becomes that input's problem, not the run's. */
import { Img2TfrecordError, ImageError, InternalError, InterruptedError } from '../errors.js';

/**
 * Anything unexpected while processing one input is that input's problem (`internal`), never the
 * run's: a libvips exception, a broken invariant about its pixels. Rethrows what must stop the run:
 * an interrupt, and our named errors about the run itself (options, labels, data, output).
 *
 * @example
 * const problem = containError(error, 'image', 'cat/1.jpg', signal); // ImageError 'internal'
 */
export function containError(error: unknown, stage: string, path: string, signal: AbortSignal | undefined): ImageError {
  if (signal?.aborted === true || error instanceof InterruptedError || (error as Error | null)?.name === 'AbortError') throw error;
  if (error instanceof ImageError) return error;
  if (error instanceof Img2TfrecordError && !(error instanceof InternalError)) throw error;
  // A second image (manifest image column) that cannot be read is unreadable, not a bug.
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new ImageError('unreadable', `cannot read file (stage ${stage}): ${(error as Error).message}`, { path }, { cause: error });
  }
  // An InternalError's message already starts with the path: keep only its detail.
  const original = error instanceof InternalError ? `${error.name}: internal: ${error.detail}` : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ImageError('internal', `internal error in stage ${stage} (please report): ${original}`, { path }, { cause: error });
}
