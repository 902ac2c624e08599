/** The feature types of tf.train.Example, shared by the encoder and the wire decoder. */

/** One feature: a list of bytes, float32 or int64 values, as in tf.train.Feature. */
export type Feature =
  | { readonly kind: 'bytes'; readonly values: readonly Uint8Array[] }
  | { readonly kind: 'float'; readonly values: readonly number[] }
  | { readonly kind: 'int64'; readonly values: readonly bigint[] };

/** An Example's features by key. */
export type Features = { readonly [key: string]: Feature };
