/** Loads our own proto/example.proto with protobufjs, once, on first use. */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Reader as ReaderClass, Type } from 'protobufjs';

// Same relative depth from src/example/*.ts and dist/example/*.js.
const PROTO_PATH = fileURLToPath(new URL('../../proto/example.proto', import.meta.url));

/** tensorflow.Example, tensorflow.SequenceExample and tensorflow.Feature as protobufjs types, and its Reader. */
export interface ExampleProto {
  readonly Example: Type;
  readonly SequenceExample: Type;
  readonly Feature: Type;
  /** protobufjs' reader, for scanning wire tags without decoding. */
  readonly Reader: typeof ReaderClass;
}

let loaded: ExampleProto | null = null;

/**
 * The protobufjs types, loaded on the first call: importing protobufjs and parsing the .proto
 * takes ~20 ms of start-up, and writing records never needs it (encodeExampleParts encodes by hand).
 *
 * @example
 * const bytes = loadExampleProto().Example.encode(message).finish();
 */
export function loadExampleProto(): ExampleProto {
  if (loaded === null) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
    const root = protobuf.loadSync(PROTO_PATH);
    loaded = {
      Example: root.lookupType('tensorflow.Example'),
      SequenceExample: root.lookupType('tensorflow.SequenceExample'),
      Feature: root.lookupType('tensorflow.Feature'),
      Reader: protobuf.Reader,
    };
  }
  return loaded;
}
