/** Image options: the user-facing form, and the complete validated settings the image step runs on. */
import { invalidParameterError, InvalidOptionError } from '../errors.js';

/** How stored bytes are produced. */
export type EncodeMode = 'keep' | 'jpeg' | 'png' | 'raw';
export type ResizeFit = 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';
export type RawDtype = 'uint8' | 'float32';
export type RawLayout = 'hwc' | 'chw';
export type ChannelOrder = 'rgb' | 'bgr';
export interface Size { readonly width: number; readonly height: number }
export interface Rgb { readonly r: number; readonly g: number; readonly b: number }

/**
 * Default JPEG chroma subsampling (stated in --help): full-resolution colour, since 4:2:0 drops
 * PSNR below 30 dB on small, saturated images even at quality 95.
 */
export const JPEG_CHROMA_SUBSAMPLING = '4:4:4';
/** sharp's default pixel limit (0x3FFF x 0x3FFF). */
export const DEFAULT_MAX_PIXELS = 268402689;

/** Image options; every field is optional. */
export interface ImageOptions {
  readonly encode?: EncodeMode;
  /** JPEG quality 1..100 (default 95). */
  readonly quality?: number;
  /** JPEG chroma subsampling: '4:4:4' (default) or '4:2:0' (smaller, TensorFlow's encode_jpeg default). */
  readonly chromaSubsampling?: '4:4:4' | '4:2:0';
  /** PNG zlib level 0..9 (default 6). */
  readonly pngCompression?: number;
  readonly dtype?: RawDtype;
  /** float32 range: 255 (0..255) or 1 (0..1). */
  readonly scale?: 255 | 1;
  readonly layout?: RawLayout;
  readonly channelOrder?: ChannelOrder;
  /** Apply EXIF orientation when pixels are decoded (default true). */
  readonly autoOrient?: boolean;
  /** 16 keeps 16-bit samples (PNG and raw only); default 8. */
  readonly depth?: 8 | 16;
  /** SVG density in DPI (default 72). */
  readonly density?: number;
  readonly resize?: Size;
  readonly fit?: ResizeFit;
  readonly resizeShorter?: number;
  readonly centerCrop?: Size;
  readonly kernel?: ResizeKernel;
  /** Enlarge images smaller than the target (default true, as sharp). */
  readonly enlarge?: boolean;
  /** 1, 3 or 4 channels; 0 or undefined keeps the source's. */
  readonly channels?: 0 | 1 | 3 | 4;
  readonly background?: Rgb;
  readonly maxPixels?: number;
  /** 'structure' (default) checks headers and markers; 'decode' also decodes every pixel. */
  readonly validate?: 'structure' | 'decode';
  /**
   * Embedded ICC profiles of RGB/grey images: 'keep' (default) keeps the pixel values, as
   * TensorFlow, PIL and OpenCV decode them, and embeds the profile in PNG/JPEG output; 'srgb'
   * converts the pixels to sRGB. CMYK is always converted to sRGB.
   */
  readonly icc?: 'keep' | 'srgb';
}

/** The complete, validated image settings: nothing undefined. */
export interface ImageSettings {
  readonly encode: EncodeMode;
  readonly quality: number;
  readonly chromaSubsampling: '4:4:4' | '4:2:0';
  readonly pngCompression: number;
  readonly dtype: RawDtype;
  readonly scale: 255 | 1;
  readonly layout: RawLayout;
  readonly channelOrder: ChannelOrder;
  readonly autoOrient: boolean;
  readonly depth: 8 | 16;
  readonly density: number;
  readonly resize: Size | null;
  readonly fit: ResizeFit;
  readonly resizeShorter: number | null;
  readonly centerCrop: Size | null;
  readonly kernel: ResizeKernel;
  readonly enlarge: boolean;
  readonly channels: 0 | 1 | 3 | 4;
  readonly background: Rgb;
  readonly maxPixels: number;
  readonly validate: 'structure' | 'decode';
  readonly icc: 'keep' | 'srgb';
}

export const DEFAULT_IMAGE_SETTINGS: ImageSettings = Object.freeze({
  encode: 'keep',
  quality: 95,
  chromaSubsampling: JPEG_CHROMA_SUBSAMPLING,
  pngCompression: 6,
  dtype: 'uint8',
  scale: 255,
  layout: 'hwc',
  channelOrder: 'rgb',
  autoOrient: true,
  depth: 8,
  density: 72,
  resize: null,
  fit: 'cover',
  resizeShorter: null,
  centerCrop: null,
  kernel: 'lanczos3',
  enlarge: true,
  channels: 0,
  background: Object.freeze({ r: 0, g: 0, b: 0 }),
  maxPixels: DEFAULT_MAX_PIXELS,
  validate: 'structure',
  icc: 'keep',
});

function oneOf<T extends string | number>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw invalidParameterError(name, `one of ${allowed.join(', ')}`, value);
  return value as T;
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, value);
  }
  return value;
}

function size(name: string, value: unknown): Size {
  const v = value as Partial<Size> | null;
  if (typeof v !== 'object' || v === null) throw invalidParameterError(name, 'object with width and height', value);
  return Object.freeze({ width: integer(`${name}.width`, v.width, 1, 65535), height: integer(`${name}.height`, v.height, 1, 65535) });
}

/**
 * Validates image options and fills in every default.
 *
 * @example
 * resolveImageSettings({ encode: 'jpeg', quality: 90, resize: { width: 224, height: 224 } });
 */
export function resolveImageSettings(options: ImageOptions = {}): ImageSettings {
  const d = DEFAULT_IMAGE_SETTINGS;
  const encode = oneOf('encode', options.encode ?? d.encode, ['keep', 'jpeg', 'png', 'raw'] as const);
  const depth = oneOf('depth', options.depth ?? d.depth, [8, 16] as const);
  if (depth === 16 && encode !== 'png' && encode !== 'raw') {
    throw new InvalidOptionError(`Expected encode png or raw for depth 16 but received encode ${encode} (JPEG, GIF and BMP hold 8-bit samples)`, ['encode', 'depth']);
  }
  const dtype = oneOf('dtype', options.dtype ?? d.dtype, ['uint8', 'float32'] as const);
  if (depth === 16 && dtype === 'float32') throw new InvalidOptionError('depth 16 gives uint16 raw tensors; it cannot be combined with dtype float32', ['depth', 'dtype']);
  const background = options.background ?? d.background;
  for (const c of ['r', 'g', 'b'] as const) integer(`background.${c}`, (background as Rgb)[c], 0, 255);
  const density = options.density ?? d.density;
  if (typeof density !== 'number' || !(density >= 1 && density <= 100000)) throw invalidParameterError('density', 'number between 1 and 100000', density);
  const settings: ImageSettings = {
    encode,
    quality: integer('quality', options.quality ?? d.quality, 1, 100),
    chromaSubsampling: oneOf('chromaSubsampling', options.chromaSubsampling ?? d.chromaSubsampling, ['4:4:4', '4:2:0'] as const),
    pngCompression: integer('pngCompression', options.pngCompression ?? d.pngCompression, 0, 9),
    dtype,
    scale: oneOf('scale', options.scale ?? d.scale, [255, 1] as const),
    layout: oneOf('layout', options.layout ?? d.layout, ['hwc', 'chw'] as const),
    channelOrder: oneOf('channelOrder', options.channelOrder ?? d.channelOrder, ['rgb', 'bgr'] as const),
    autoOrient: oneOf('autoOrient', options.autoOrient ?? d.autoOrient, [true, false] as unknown as readonly never[]) as boolean,
    depth,
    density,
    resize: options.resize === undefined ? null : size('resize', options.resize),
    fit: oneOf('fit', options.fit ?? d.fit, ['cover', 'contain', 'fill', 'inside', 'outside'] as const),
    resizeShorter: options.resizeShorter === undefined ? null : integer('resizeShorter', options.resizeShorter, 1, 65535),
    centerCrop: options.centerCrop === undefined ? null : size('centerCrop', options.centerCrop),
    kernel: oneOf('kernel', options.kernel ?? d.kernel, ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'] as const),
    enlarge: oneOf('enlarge', options.enlarge ?? d.enlarge, [true, false] as unknown as readonly never[]) as boolean,
    channels: oneOf('channels', options.channels ?? d.channels, [0, 1, 3, 4] as const),
    background: Object.freeze({ ...background }),
    maxPixels: integer('maxPixels', options.maxPixels ?? d.maxPixels, 1, Number.MAX_SAFE_INTEGER),
    validate: oneOf('validate', options.validate ?? d.validate, ['structure', 'decode'] as const),
    icc: oneOf('icc', options.icc ?? d.icc, ['keep', 'srgb'] as const),
  };
  if (settings.encode === 'jpeg' && settings.channels === 4) {
    throw new InvalidOptionError('Expected channels 0, 1 or 3 for encode jpeg but received channels 4 (JPEG holds no alpha)', ['channels', 'encode']);
  }
  if (settings.resize !== null && settings.resizeShorter !== null) {
    throw new InvalidOptionError('Expected at most one of resize and resizeShorter', ['resize', 'resizeShorter']);
  }
  return Object.freeze(settings);
}

/**
 * Whether the settings change pixels, so every image must be decoded (pass-through is impossible).
 *
 * @example
 * needsDecode(resolveImageSettings({ resize: { width: 64, height: 64 } })); // true
 */
export function needsDecode(settings: ImageSettings): boolean {
  return settings.encode !== 'keep' || settings.resize !== null || settings.resizeShorter !== null
    || settings.centerCrop !== null || settings.channels !== 0 || settings.depth !== 8;
}
