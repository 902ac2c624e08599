/** Caffe Datum and BlobProto encoding: the records of Caffe's LMDB databases and its mean files. */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Type } from 'protobufjs';
import { invalidParameterError } from '../errors.js';

// Same relative depth from src/datum/*.ts and dist/datum/*.js.
const CAFFE_PROTO = fileURLToPath(new URL('../../proto/caffe.proto', import.meta.url));
let types: { readonly datum: Type; readonly blob: Type } | null = null;

/** Loaded on first use: protobufjs is start-up time that a TFRecord run never needs. */
function caffeTypes(): { readonly datum: Type; readonly blob: Type } {
  if (types === null) {
    const root = (createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs')).loadSync(CAFFE_PROTO);
    types = { datum: root.lookupType('caffe.Datum'), blob: root.lookupType('caffe.BlobProto') };
  }
  return types;
}

/** A Caffe Datum. Fields left undefined are not written (as Caffe leaves dims unset for encoded data). */
export interface Datum {
  readonly channels?: number;
  readonly height?: number;
  readonly width?: number;
  readonly data?: Uint8Array;
  readonly label?: number;
  readonly floatData?: readonly number[];
  readonly encoded?: boolean;
}

/** A mean image as Caffe's compute_image_mean writes it. */
export interface MeanBlob {
  readonly num: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function int32(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)) {
    throw invalidParameterError(name, `integer between ${INT32_MIN} and ${INT32_MAX}`, value);
  }
}

/**
 * Serialises a Datum.
 *
 * @example
 * encodeDatum({ channels: 3, height: 2, width: 1, data: pixels, label: 7 });
 */
export function encodeDatum(datum: Datum): Uint8Array {
  for (const key of ['channels', 'height', 'width', 'label'] as const) int32(key, datum[key]);
  const message: Record<string, unknown> = {};
  if (datum.channels !== undefined) message.channels = datum.channels;
  if (datum.height !== undefined) message.height = datum.height;
  if (datum.width !== undefined) message.width = datum.width;
  if (datum.data !== undefined) message.data = datum.data;
  if (datum.label !== undefined) message.label = datum.label;
  if (datum.floatData !== undefined && datum.floatData.length > 0) message.floatData = datum.floatData;
  if (datum.encoded === true) message.encoded = true;
  return caffeTypes().datum.encode(message).finish();
}

/**
 * Parses a Datum (fields absent on the wire are undefined).
 *
 * @example
 * const { label, data } = decodeDatum(value);
 */
export function decodeDatum(bytes: Uint8Array): Datum {
  const m = caffeTypes().datum.decode(bytes);
  const has = (field: string): boolean => Object.hasOwn(m, field);
  const o = m as unknown as { channels: number; height: number; width: number; data: Uint8Array; label: number; floatData: number[]; encoded: boolean };
  return {
    ...(has('channels') ? { channels: o.channels } : {}),
    ...(has('height') ? { height: o.height } : {}),
    ...(has('width') ? { width: o.width } : {}),
    ...(has('data') ? { data: o.data } : {}),
    ...(has('label') ? { label: o.label } : {}),
    ...(o.floatData !== undefined && o.floatData.length > 0 ? { floatData: o.floatData } : {}),
    ...(has('encoded') ? { encoded: o.encoded } : {}),
  };
}

/**
 * Serialises a mean image as a BlobProto (num, channels, height, width and float data, as
 * Caffe's compute_image_mean writes it).
 *
 * @example
 * await writeFile('mean.binaryproto', encodeBlobProto({ num: 1, channels: 3, height: 32, width: 32, data }));
 */
export function encodeBlobProto(blob: MeanBlob): Uint8Array {
  for (const key of ['num', 'channels', 'height', 'width'] as const) int32(key, blob[key]);
  return caffeTypes().blob.encode({ num: blob.num, channels: blob.channels, height: blob.height, width: blob.width, data: Array.from(blob.data) }).finish();
}

/**
 * Parses a BlobProto mean file.
 *
 * @example
 * const mean = decodeBlobProto(await readFile('mean.binaryproto'));
 */
export function decodeBlobProto(bytes: Uint8Array): MeanBlob {
  const m = caffeTypes().blob.decode(bytes) as unknown as { num: number; channels: number; height: number; width: number; data: number[] };
  return { num: m.num, channels: m.channels, height: m.height, width: m.width, data: Float32Array.from(m.data ?? []) };
}
