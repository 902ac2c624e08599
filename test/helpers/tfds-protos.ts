// TFDS's own message types (fixtures/tfds: feature.proto, dataset_info.proto) for the TFDS tests: a
// proto3-JSON round trip through them shows TFDS's json_format.Parse reads every field we write.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Type } from 'protobufjs';

export const TFDS_FIXTURES = fileURLToPath(new URL('../../fixtures/tfds/', import.meta.url));
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');

/** TFDS's own .proto files, with tensorflow_metadata's Schema and statistics as empty stubs. */
export function loadTfdsTypes(): { Feature: Type; DatasetInfo: Type } {
  const feature = readFileSync(join(TFDS_FIXTURES, 'feature.proto'), 'utf8');
  const info = readFileSync(join(TFDS_FIXTURES, 'dataset_info.proto'), 'utf8')
    .replace(/^import .*$/gm, '')
    .replace(/^syntax = "proto3";\n\npackage tensorflow_datasets;/m, 'syntax = "proto3";\npackage tensorflow_datasets;')
    .replace('tensorflow.metadata.v0.DatasetFeatureStatistics', 'StatisticsStub')
    .replace('tensorflow.metadata.v0.Schema', 'SchemaStub');
  const root = new protobuf.Root();
  protobuf.parse(feature, root, { keepCase: false });
  protobuf.parse(`${info}\nmessage StatisticsStub {}\nmessage SchemaStub {}\n`, root, { keepCase: false });
  return { Feature: root.lookupType('tensorflow_datasets.Feature'), DatasetInfo: root.lookupType('tensorflow_datasets.DatasetInfo') };
}

/**
 * Proto3-JSON round trip through one of TFDS's message types: a field TFDS does not have, a wrong
 * nesting or a number where int64 needs a string changes the object.
 */
export function roundTrip(type: Type, json: object): unknown {
  const problem = type.verify(type.fromObject(json));
  assert.equal(problem, null);
  return type.toObject(type.fromObject(json), { longs: String, enums: String, defaults: false, arrays: false, objects: false, oneofs: false });
}

/** The JSON type of every key path: "splits[].shardLengths[]" -> "string". */
export function shapeOf(value: unknown, path = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    out.set(path, 'array');
    for (const v of value) shapeOf(v, `${path}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    out.set(path, 'object');
    for (const [k, v] of Object.entries(value)) shapeOf(v, path === '' ? k : `${path}.${k}`, out);
  } else {
    out.set(path, typeof value);
  }
  return out;
}
