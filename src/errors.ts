/** Every error img2tfrecord raises on purpose: one class per failure kind, each with a stable `code`. */

/**
 * Stable, documented error codes. Scripts may switch on these; never rename one.
 */
export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_USAGE'
  | 'ERR_TRUNCATED_RECORD'
  | 'ERR_CORRUPT_RECORD'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_WRITER_CLOSED'
  | 'ERR_EXAMPLE_PARSE'
  | 'ERR_DATUM_PARSE'
  | 'ERR_IMAGE'
  | 'ERR_OUTPUT_EXISTS'
  | 'ERR_OUTPUT_WRITE'
  | 'ERR_UNKNOWN_CLASS'
  | 'ERR_INPUT'
  | 'ERR_DATA'
  | 'ERR_STRICT'
  | 'ERR_INTERRUPTED'
  | 'ERR_NOT_INDEXABLE'
  | 'ERR_INTERNAL'
  | 'ERR_MISSING_DEPENDENCY';

/** Context carried by errors so a message can name exactly where things went wrong. */
export interface ErrorContext {
  readonly path?: string;
  /** Byte offset in the (uncompressed) record stream. */
  readonly offset?: number;
  /** 0-based index of the record in its file. */
  readonly recordIndex?: number;
  /** 1-based line number in a manifest or label file. */
  readonly line?: number;
}

/**
 * Base class of every error thrown on purpose by img2tfrecord.
 *
 * @example
 * try { await convert({ input: 'imgs', output: 'out' }); }
 * catch (e) { if (e instanceof Img2TfrecordError) console.error(e.code, e.message); }
 */
export class Img2TfrecordError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;
  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** An option or argument given to a public entry point is out of range or of the wrong type. */
export class InvalidOptionError extends Img2TfrecordError {
  /** Option names the message mentions as words, so the CLI can put its flags in their place. */
  readonly options: readonly string[];
  /** For one bad value: the option, what it takes and what was given (the CLI words its own message). */
  readonly value: { readonly option: string; readonly expected: string; readonly actual: unknown } | null;
  constructor(message: string, options: readonly string[] = [], value: InvalidOptionError['value'] = null) {
    super('ERR_INVALID_OPTION', message);
    this.options = options;
    this.value = value;
  }
}

/** A command line that cannot be acted on (missing argument, conflicting flags). */
export class UsageError extends Img2TfrecordError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

/**
 * Builds the sharp-style message for a bad parameter:
 * "Expected integer between 1 and 100 for quality but received 0 of type number".
 *
 * @example
 * throw invalidParameterError('quality', 'integer between 1 and 100', 0);
 */
export function invalidParameterError(name: string, expected: string, actual: unknown): InvalidOptionError {
  const shown = typeof actual === 'string' ? JSON.stringify(actual) : String(actual);
  return new InvalidOptionError(`Expected ${expected} for ${name} but received ${shown} of type ${typeof actual}`, [name], { option: name, expected, actual });
}

/**
 * The stream ended inside a record: its header promised more bytes than there were.
 *
 * @example
 * catch (e) { if (e instanceof TruncatedRecordError) console.error(`cut at byte ${e.context.offset}`); }
 */
export class TruncatedRecordError extends Img2TfrecordError {
  /** The message without its file and offset prefix. */
  readonly detail: string;
  constructor(offset: number, detail: string, context: Omit<ErrorContext, 'offset'> = {}) {
    super('ERR_TRUNCATED_RECORD', `${where(context.path)}truncated record at offset ${offset}: ${detail}`, { ...context, offset });
    this.detail = detail;
  }
}

/** Which part of a frame failed its check. */
export type CorruptRegion = 'length' | 'data' | 'compression';

/**
 * A frame's length CRC or data CRC does not match (or compressed data is damaged): see `region`.
 *
 * @example
 * try { for await (const r of readRecordFile('a.tfrecord')) use(r); }
 * catch (e) { if (e instanceof CorruptRecordError) console.error(e.region, e.context.offset); }
 */
export class CorruptRecordError extends Img2TfrecordError {
  readonly region: CorruptRegion;
  /** The message without its file and offset prefix. */
  readonly detail: string;
  constructor(offset: number, region: CorruptRegion, detail: string, context: Omit<ErrorContext, 'offset'> = {}) {
    super('ERR_CORRUPT_RECORD', `${where(context.path)}corrupted record at offset ${offset}: ${detail}`, { ...context, offset });
    this.region = region;
    this.detail = detail;
  }
}

/**
 * A record's (CRC-valid) length exceeds the reader's maximum record size.
 *
 * @example
 * readRecordFile('big.tfrecord', { maxRecordSize: 2 ** 31 }); // raise the limit when records are that large
 */
export class RecordTooLargeError extends Img2TfrecordError {
  constructor(offset: number, length: number, max: number, context: Omit<ErrorContext, 'offset'> = {}) {
    super(
      'ERR_RECORD_TOO_LARGE',
      `${where(context.path)}record ${context.recordIndex === undefined ? '' : `${context.recordIndex} `}at offset ${offset} is ${length} bytes, over the maximum record size of ${max} bytes`,
      { ...context, offset },
    );
  }
}

/**
 * write() was called on a writer after close().
 *
 * @example
 * await writer.close();
 * await writer.write(payload); // rejects with WriterClosedError (code ERR_WRITER_CLOSED)
 */
export class WriterClosedError extends Img2TfrecordError {
  constructor() {
    super('ERR_WRITER_CLOSED', 'Cannot write: the record writer is closed');
  }
}

/**
 * A record's payload is not a valid tf.train.Example.
 *
 * @example
 * catch (e) { if (e instanceof ExampleParseError) console.error(e.context.path, e.context.recordIndex); }
 */
export class ExampleParseError extends Img2TfrecordError {
  constructor(detail: string, context: ErrorContext = {}) {
    const at = context.offset === undefined ? '' : ` at offset ${context.offset}`;
    super('ERR_EXAMPLE_PARSE', `${where(context.path)}record ${context.recordIndex ?? '?'}${at} is not a tf.train.Example: ${detail}`, context);
  }
}

/** Why an input image was not converted. Stable strings: they appear in dataset.json. */
export type ImageProblem =
  | 'empty'
  | 'unreadable'
  | 'not-an-image'
  | 'unsupported'
  | 'truncated'
  | 'corrupt'
  | 'too-many-pixels'
  | 'animated'
  | 'invalid'
  | 'not-a-regular-file'
  /** Something unexpected (a libvips exception, a broken invariant about this file's pixels): contained to the file. */
  | 'internal'
  /** Processing took longer than --file-timeout. */
  | 'too-slow'
  /** Decoding would need more memory than the per-image budget (4 bytes x --max-pixels). */
  | 'too-large';

/** An input image that cannot be converted. A per-file result: it is counted and reported, not fatal. */
export class ImageError extends Img2TfrecordError {
  readonly problem: ImageProblem;
  constructor(problem: ImageProblem, detail: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('ERR_IMAGE', `${where(context.path)}${detail}`, context, options);
    this.problem = problem;
  }
}

/**
 * The output cannot be written: a full disk, a read-only file system, no permission. One line
 * naming the folder; the file-system error is the cause.
 *
 * @example
 * throw new OutputWriteError('out', 'read-only file system'); // "cannot write to out: read-only file system"
 */
export class OutputWriteError extends Img2TfrecordError {
  constructor(output: string, reason: string, options?: { cause?: unknown }) {
    super('ERR_OUTPUT_WRITE', `cannot write to ${output}: ${reason}`, { path: output }, options);
  }
}

/**
 * An output file already exists and --overwrite was not given.
 *
 * @example
 * await convert({ input: 'photos', output: 'out' }); // OutputExistsError if out/ holds train-*.tfrecord
 * await convert({ input: 'photos', output: 'out', overwrite: true });
 */
export class OutputExistsError extends Img2TfrecordError {
  constructor(path: string) {
    super('ERR_OUTPUT_EXISTS', `${path} already exists; pass --overwrite to replace it`, { path });
  }
}

/**
 * The output folder holds a run of the same prefix that was killed before it finished (complete
 * shards with their resume sidecars, no summary). Same code as {@link OutputExistsError}.
 *
 * @example
 * await convert({ input: 'photos', output: 'out' }); // IncompleteRunError after a killed run; pass resume: true
 */
export class IncompleteRunError extends Img2TfrecordError {
  constructor(dir: string, prefix: string, completeShards: number) {
    super(
      'ERR_OUTPUT_EXISTS',
      `${dir} holds an incomplete run of "${prefix}" (${completeShards} complete shard${completeShards === 1 ? '' : 's'}, no summary): pass --resume to finish it, or --overwrite to start over`,
      { path: dir },
    );
  }
}

/** A class folder or label that is not in the given label list. */
export class UnknownClassError extends Img2TfrecordError {
  constructor(name: string, context: ErrorContext = {}) {
    super('ERR_UNKNOWN_CLASS', `${where(context.path)}class "${name}" is not in the label list`, context);
  }
}

/** The input itself (a directory, manifest or list) is missing or unusable. */
export class InputError extends Img2TfrecordError {
  constructor(message: string, context: ErrorContext = {}) {
    super('ERR_INPUT', message, context);
  }
}

/**
 * The data of a run cannot be converted as asked, found while reading it (images of different
 * sizes for `--mean`, a label Caffe's Datum cannot hold, no image converted for a mean). Not a
 * usage error: the command line was well-formed; the CLI exits 1.
 *
 * @example
 * catch (e) { if (e instanceof DataError) console.error(e.code, e.context.path, e.message); } // code ERR_DATA
 */
export class DataError extends Img2TfrecordError {
  constructor(message: string, context: ErrorContext = {}) {
    super('ERR_DATA', message, context);
  }
}

/**
 * --strict stopped the run at the first bad input; `cause` is the input's ImageError.
 *
 * @example
 * catch (e) { if (e instanceof StrictModeError) console.error(e.context.path, e.message); }
 */
export class StrictModeError extends Img2TfrecordError {
  constructor(cause: Img2TfrecordError) {
    super('ERR_STRICT', `stopped by --strict: ${cause.message}`, cause.context, { cause });
  }
}

/**
 * A value of a Caffe LMDB database is not a valid Caffe Datum.
 *
 * @example
 * catch (e) { if (e instanceof DatumParseError) console.error(e.context.path, e.context.recordIndex); }
 */
export class DatumParseError extends Img2TfrecordError {
  constructor(detail: string, context: ErrorContext = {}) {
    super('ERR_DATUM_PARSE', `${where(context.path)}record ${context.recordIndex ?? '?'} is not a Caffe Datum: ${detail}`, context);
  }
}

/**
 * The run was stopped by a signal (or an aborted `signal` option); partial output was removed.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort('SIGINT'));
 * await convert({ input: 'photos', output: 'out' }, { signal: controller.signal }); // rejects with InterruptedError
 */
export class InterruptedError extends Img2TfrecordError {
  /** The signal (or abort reason) that stopped the run: 'SIGINT', 'SIGTERM', 'abort', ... */
  readonly signal: string;

  constructor(signal: string) {
    super('ERR_INTERRUPTED', `interrupted by ${signal}; partial output removed`);
    this.signal = signal;
  }
}

/**
 * An index was asked of a compressed TFRecord file, whose record offsets cannot be seeked to.
 *
 * @example
 * await buildIndex('train.tfrecord.gz'); // rejects with NotIndexableError (code ERR_NOT_INDEXABLE)
 */
export class NotIndexableError extends Img2TfrecordError {
  constructor(path: string, compression: string) {
    super(
      'ERR_NOT_INDEXABLE',
      `${path} is ${compression}-compressed: record offsets in a compressed stream cannot be seeked to, so it cannot be indexed; write it uncompressed to index it`,
      { path },
    );
  }
}

/**
 * A broken invariant of img2tfrecord itself (a bug). Inside one file's processing it is contained:
 * that file is reported with problem `internal`; in the writer or the plan it stops the run.
 *
 * @example
 * if (channels !== planned) throw new InternalError(`${channels} channels decoded where ${planned} were planned`);
 */
export class InternalError extends Img2TfrecordError {
  /** What broke, without the path prefix. */
  readonly detail: string;

  constructor(detail: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super('ERR_INTERNAL', `${where(context.path)}internal: ${detail}`, context, options);
    this.detail = detail;
  }
}

function where(path: string | undefined): string {
  return path === undefined ? '' : `${path}: `;
}

/**
 * An optional package a feature needs is not installed or does not load (node-lmdb for Caffe LMDB).
 *
 * @example
 * try { loadLmdb(); } catch (e) { if (e instanceof MissingDependencyError) console.error(e.message); }
 */
export class MissingDependencyError extends Img2TfrecordError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_MISSING_DEPENDENCY', message, {}, options);
  }
}
