/** The image layer's public surface: from the bytes of a file to the bytes to store. Knows nothing of protobuf. */
export { sniffFormat, describeUnknownBytes, identifyUnsupported, TF_DECODABLE } from './sniff.js';
export type { SourceFormat, StoredFormat } from './sniff.js';
export { describeEncoded, readHeaderFacts, colorspaceOf, HeaderProblem } from './headers.js';
export type { EncodedInfo, HeaderFacts } from './headers.js';
export {
  resolveImageSettings, needsDecode, DEFAULT_IMAGE_SETTINGS, JPEG_CHROMA_SUBSAMPLING, DEFAULT_MAX_PIXELS,
} from './settings.js';
export type {
  ImageOptions, ImageSettings, EncodeMode, ResizeFit, ResizeKernel, RawDtype, RawLayout, ChannelOrder, Size, Rgb,
} from './settings.js';
export { loadImage } from './load.js';
export { storeAsIs } from './keep.js';
export { checkTfDecodable } from './decodable.js';
export type { TfVerdict, TfVerdictProblem, TfDecodableOptions } from './decodable.js';
export { decodeBmp } from './bmp.js';
export { configureImageConcurrency } from './concurrency.js';
export { loadSharp } from './sharp.js';
export type { ImageConcurrency } from './concurrency.js';
export type { EncodedImage, RawImage, ImageContext, SourceGeometry } from './load.js';
