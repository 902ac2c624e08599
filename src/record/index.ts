/** The record core's public surface: TFRecord framing, CRC-32C, streaming reader and writer. */
export { crc32c, crc32cUpdate, crc32cPortable, CRC32C_IMPLEMENTATION, maskCrc, unmaskCrc, maskedCrc32c } from './crc32c.js';
export {
  LENGTH_BYTES, LENGTH_CRC_BYTES, HEADER_BYTES, FOOTER_BYTES, FRAME_OVERHEAD_BYTES,
  encodeFrameHeader, encodeFrameFooter, encodeFrameFooterOfParts, rememberCrc32c, frameRecord, frameRecordToBuffer,
} from './frame.js';
export { crc32cCombine } from './crc32c-combine.js';
export { detectCompression } from './compression.js';
export type { Compression } from './compression.js';
export { RecordWriter } from './writer.js';
export type { RecordWriterOptions } from './writer.js';
export { readRecords, DEFAULT_MAX_RECORD_SIZE } from './reader.js';
export type { RecordEntry, ReadRecordsOptions } from './reader.js';
export { openRecordStream, readRecordFile, createRecordFileWriter } from './file.js';
export type { OpenedRecordStream } from './file.js';
