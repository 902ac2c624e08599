/** The mean image of a dataset, as Caffe's compute_image_mean computes it, accumulated in the same pass. */
import { DataError, InternalError } from '../errors.js';
import type { MeanBlob } from '../datum/index.js';

/**
 * Sums CHW uint8 images in float64 and divides by their count.
 *
 * @example
 * const mean = new MeanAccumulator();
 * mean.add(pixels, 3, 32, 32, 'cat/1.jpg');
 * const blob = mean.result();
 */
export class MeanAccumulator {
  private sum: Float64Array | null = null;
  private shape: [number, number, number] | null = null;
  private firstPath = '';
  private count = 0;

  /** Adds one image (CHW, uint8). Throws {@link DataError} when its size differs from the first image's. */
  add(pixels: Uint8Array, channels: number, height: number, width: number, path: string): void {
    if (this.shape === null) {
      this.shape = [channels, height, width];
      this.sum = new Float64Array(channels * height * width);
      this.firstPath = path;
    }
    const [c, h, w] = this.shape;
    if (channels !== c || height !== h || width !== w) {
      throw new DataError(
        `--mean needs all images the same size: ${path} is ${width}x${height}x${channels}, but ${this.firstPath} is ${w}x${h}x${c}; add --resize WxH (and --channels)`,
        { path },
      );
    }
    if (pixels.length !== c * h * w) throw new InternalError(`has ${pixels.length} bytes for ${c}x${h}x${w}`, { path });
    const sum = this.sum as Float64Array;
    for (let i = 0; i < pixels.length; i++) sum[i] = (sum[i] as number) + (pixels[i] as number);
    this.count++;
  }

  /** Images added so far. */
  get images(): number {
    return this.count;
  }

  /** The mean as a BlobProto-shaped object (num = 1). */
  result(): MeanBlob {
    if (this.shape === null || this.sum === null) throw new DataError('--mean: no image was converted, so there is no mean');
    const [channels, height, width] = this.shape;
    const data = new Float32Array(this.sum.length);
    for (let i = 0; i < data.length; i++) data[i] = (this.sum[i] as number) / this.count;
    return { num: 1, channels, height, width, data };
  }
}
