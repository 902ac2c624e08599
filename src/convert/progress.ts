/** The hooks of a conversion and the progress it reports. */
import type { EncodedImage, ImageContext, ImageSettings, RawImage } from '../image/index.js';

/** Progress of a running conversion, reported after each input. */
export interface ConvertProgress {
  readonly total: number;
  readonly done: number;
  readonly records: number;
  readonly skipped: number;
  readonly bytesRead: number;
  /** Bytes on disk of the inputs this run reads (an ETA from bytes left is steadier than from files left). */
  readonly bytesTotal: number;
}

/** Hooks of {@link convert}. */
export interface ConvertHooks {
  /** Aborting stops the run, removes partial output and rejects with InterruptedError. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConvertProgress) => void;
  /** Stream for `-o -` (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
  /**
   * Replaces the image stage (a file's bytes -> the image to store) for every input: a custom
   * decoder, or a test that makes one file's stage throw to see it contained.
   */
  readonly loadImage?: (bytes: Buffer, settings: ImageSettings, context: ImageContext) => Promise<EncodedImage | RawImage>;
}
