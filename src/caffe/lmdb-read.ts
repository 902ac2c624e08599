/** Reads Caffe Datum records back from an LMDB database, as Example-like features for the read commands. */
// node-lmdb (LMDB 0.9, data format 1) reads what Caffe and LmdbSink write; lmdb-js's format-2 build crashes on such files.
import { loadLmdb } from './lmdb-module.js';
import { decodeDatum, type Datum } from '../datum/index.js';
import { bytesFeature, floatFeature, int64Feature, type Feature } from '../example/index.js';
import { DatumParseError } from '../errors.js';

/** One Datum with its key and position. */
export interface DatumEntry {
  readonly index: number;
  readonly key: string;
  readonly datum: Datum;
}

/**
 * Iterates an LMDB database's records in key order (= conversion order for Caffe keys).
 * A value that is not a Datum throws DatumParseError naming the key.
 *
 * @example
 * for await (const { key, datum } of readDatums('out/train_lmdb')) console.log(key, datum.label);
 */
export async function* readDatums(dir: string): AsyncGenerator<DatumEntry> {
  const lmdb = loadLmdb();
  const env = new lmdb.Env();
  // Read-only, as Caffe's data layer opens it (MDB_RDONLY): a database of another user stays untouched.
  env.open({ path: dir, readOnly: true });
  const dbi = env.openDbi({ name: null, keyIsBuffer: true });
  const txn = env.beginTxn({ readOnly: true });
  const cursor = new lmdb.Cursor(txn, dbi, { keyIsBuffer: true });
  try {
    let index = 0;
    for (let key = cursor.goToFirst(); key !== null; key = cursor.goToNext()) {
      const keyText = key.toString('utf8');
      // A copy: the cursor's buffer is only valid until the next move.
      const value = Buffer.from(cursor.getCurrentBinary() as Buffer);
      let datum: Datum;
      try {
        datum = decodeDatum(value);
      } catch (error) {
        throw new DatumParseError(`key ${keyText}: ${(error as Error).message}`, { path: dir, recordIndex: index });
      }
      yield { index, key: keyText, datum };
      index++;
    }
  } finally {
    cursor.close();
    txn.abort();
    dbi.close();
    env.close();
  }
}

/**
 * A Datum as the features the read commands understand: encoded data as `image/encoded`, raw
 * pixels as `image/raw` with shape [c, h, w], layout chw and channel order bgr (Caffe's), the label
 * as `image/class/label`, and the path part of the key as `image/filename`.
 *
 * @example
 * const features = datumToFeatures(entry.key, entry.datum);
 */
export function datumToFeatures(key: string, datum: Datum): Record<string, Feature> {
  const f: Record<string, Feature> = { key: bytesFeature(key) };
  const name = /^\d{8,}_(.*)$/s.exec(key)?.[1];
  if (name !== undefined && name !== '') f['image/filename'] = bytesFeature(name);
  const data = datum.data ?? new Uint8Array(0);
  if (datum.encoded === true) f['image/encoded'] = bytesFeature(data);
  else {
    f['image/raw'] = bytesFeature(data);
    if (datum.channels !== undefined && datum.height !== undefined && datum.width !== undefined) {
      f['image/shape'] = int64Feature(datum.channels, datum.height, datum.width);
    }
    f['image/layout'] = bytesFeature('chw');
    f['image/channel_order'] = bytesFeature('bgr');
    f['image/dtype'] = bytesFeature('uint8');
  }
  if (datum.channels !== undefined) f['image/channels'] = int64Feature(datum.channels);
  if (datum.height !== undefined) f['image/height'] = int64Feature(datum.height);
  if (datum.width !== undefined) f['image/width'] = int64Feature(datum.width);
  if (datum.label !== undefined) f['image/class/label'] = int64Feature(datum.label);
  if (datum.floatData !== undefined) f.float_data = floatFeature(...datum.floatData);
  return f;
}
