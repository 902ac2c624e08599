/** The `<files...>` argument the read commands share. */

/** Help of the `<files...>` argument of inspect, verify, dump and extract. */
export const FILES_HELP = 'TFRecord files, globs or folders (plain, GZIP or ZLIB, detected from the bytes)';
