// Test helper (not a test file): writes small uncompressed little-endian TIFFs with any pixel format.

/** What a crafted TIFF holds: interleaved samples, all of one type. */
export interface TiffSpec {
  readonly width: number;
  readonly height: number;
  readonly samples: number;
  readonly bits: 8 | 16 | 32;
  /** 1 unsigned integer, 2 signed integer, 3 IEEE float. */
  readonly sampleFormat: 1 | 2 | 3;
  /** 1 MinIsBlack, 2 RGB, 5 Separated (CMYK), 8 CIELab. */
  readonly photometric: number;
  /** ExtraSamples values (0 unspecified, 1 associated alpha, 2 unassociated alpha), one per extra sample. */
  readonly extraSamples?: readonly number[];
  /** Every sample in row order, interleaved. */
  readonly values: readonly number[];
}

/**
 * A one-strip uncompressed TIFF of the given samples, so tests can hold every pixel format libvips
 * reports (int32, uint32, signed 16-bit, 8-bit CIELab, RGB tagged MinIsBlack...) in a few hundred bytes.
 */
export function buildTiff(spec: TiffSpec): Buffer {
  const bytesPer = spec.bits / 8;
  const pixels = Buffer.alloc(spec.width * spec.height * spec.samples * bytesPer);
  spec.values.forEach((v, i) => {
    const at = i * bytesPer;
    if (spec.sampleFormat === 3) pixels.writeFloatLE(v, at);
    else if (spec.bits === 8) spec.sampleFormat === 2 ? pixels.writeInt8(v, at) : pixels.writeUInt8(v, at);
    else if (spec.bits === 16) spec.sampleFormat === 2 ? pixels.writeInt16LE(v, at) : pixels.writeUInt16LE(v, at);
    else spec.sampleFormat === 2 ? pixels.writeInt32LE(v, at) : pixels.writeUInt32LE(v, at);
  });
  const extra = spec.extraSamples ?? [];
  // Tag values that do not fit in 4 bytes go after the IFD.
  const tail: Buffer[] = [];
  const entries: Array<[tag: number, type: number, count: number, value: number[]]> = [
    [256, 4, 1, [spec.width]],
    [257, 4, 1, [spec.height]],
    [258, 3, spec.samples, Array<number>(spec.samples).fill(spec.bits)],
    [259, 3, 1, [1]],
    [262, 3, 1, [spec.photometric]],
    [273, 4, 1, [0]],
    [277, 3, 1, [spec.samples]],
    [278, 4, 1, [spec.height]],
    [279, 4, 1, [pixels.length]],
    [284, 3, 1, [1]],
    ...(extra.length > 0 ? [[338, 3, extra.length, [...extra]] as [number, number, number, number[]]] : []),
    [339, 3, spec.samples, Array<number>(spec.samples).fill(spec.sampleFormat)],
  ];
  const ifdAt = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let tailAt = ifdAt + ifdSize;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(entries.length, 0);
  const stripAtSlot: number[] = [];
  entries.forEach(([tag, type, count, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(count, at + 4);
    const size = type === 3 ? 2 : 4;
    const data = Buffer.alloc(Math.max(4, count * size));
    value.forEach((v, k) => (size === 2 ? data.writeUInt16LE(v, k * 2) : data.writeUInt32LE(v, k * 4)));
    if (tag === 273) stripAtSlot.push(at + 8);
    if (data.length <= 4) data.copy(ifd, at + 8);
    else {
      ifd.writeUInt32LE(tailAt, at + 8);
      tail.push(data);
      tailAt += data.length;
    }
  });
  ifd.writeUInt32LE(tailAt, stripAtSlot[0] as number);
  const head = Buffer.from([0x49, 0x49, 42, 0, ifdAt, 0, 0, 0]);
  return Buffer.concat([head, ifd, ...tail, pixels]);
}
