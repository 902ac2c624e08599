/** The Example layer's public surface: tf.train.Example encoding and decoding. */
export { bytesFeature, int64Feature, floatFeature, encodeExample, decodeExample, classifyPayload } from './example.js';
export type { Feature, Features, DecodedExample, PayloadKind } from './example.js';
export { encodeExampleParts } from './parts.js';
export { decodeKey, formatKey, isNonUtf8Key } from './decode.js';
