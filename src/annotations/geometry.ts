/**
 * Boxes follow the pixels: the affine map from an annotation's frame to the stored output image,
 * reproducing exactly what the image stage (src/image/load.ts with sharp 0.34 / libvips) does:
 * EXIF auto-orientation, then `--resize WxH --fit ...` or `--resize-shorter N`, then `--center-crop`.
 *
 * Which frame are boxes given in? The annotation tools disagree:
 * - labelImg loads pixels with `QImage.fromData(bytes)` (labelImg.py `load_file`), which applies no
 *   EXIF orientation (Qt only does with `QImageReader.setAutoTransform(true)`), so its VOC/YOLO boxes
 *   and `<size>` are in the STORED pixel frame. Confirmed by its issues #198, #342 and #395
 *   (github.com/HumanSignal/labelImg: "labelImg isn't handling the rotation needed through that EXIF").
 * - CVAT applies EXIF orientation when it builds the frames it shows and exports
 *   (cvat/apps/engine/media_extractors.py: `if has_exif_rotation(image): image = ImageOps.exif_transpose(image)`
 *   in `_compress_image`, and `image_size_within_orientation` swaps width/height for orientations 5-8
 *   for the frame sizes), so its boxes and declared sizes are in the DISPLAYED (oriented) frame;
 *   fixed in github.com/cvat-ai/cvat issue #1059 "Handle EXIF tag in JPG images".
 * So the frame is an input here ({@link AnnotationFrame}); {@link resolveAnnotationFrame} picks it
 * from the declared size when the orientation swaps the axes, else from the format's usual tool.
 */
import type { ImageSettings, ResizeFit, Size } from '../image/settings.js';
import type { AnnotatedObject, Box } from './model.js';

/** The frame an annotation's coordinates refer to: the stored pixels, or the EXIF-oriented (displayed) image. */
export type AnnotationFrame = 'stored' | 'displayed';

/** x' = xx x + xy y + x0; y' = yx x + yy y + y0. */
export interface Affine {
  readonly xx: number; readonly xy: number; readonly x0: number;
  readonly yx: number; readonly yy: number; readonly y0: number;
}

/** The settings of the image stage that move pixels. */
export type GeometrySettings = Pick<ImageSettings, 'autoOrient' | 'resize' | 'fit' | 'resizeShorter' | 'centerCrop' | 'enlarge'>;

/** What is known of one image when its boxes are mapped. */
export interface GeometryInput {
  /** The stored (file) pixel size, before any orientation. */
  readonly storedSize: Size;
  /** EXIF orientation 1..8 (1 when absent). */
  readonly orientation: number;
  /** The frame the boxes are given in. */
  readonly frame: AnnotationFrame;
  /** Whether the image stage decodes the pixels (false: pass-through, nothing moves). */
  readonly decoded: boolean;
  /**
   * The source is a JPEG that sharp decodes directly (not re-opened from raw pixels), so libjpeg
   * shrink-on-load applies: sharp decodes at 1/2, 1/4 or 1/8 scale (sizes rounded down) before the
   * final resize, which moves the rounding of the auto-scaled axis by up to a pixel.
   */
  readonly jpegShrinkOnLoad?: boolean;
}

/** The map from annotation coordinates to output pixels, the output size, and the rectangle boxes are clipped to. */
export interface GeometryPlan {
  readonly map: Affine;
  readonly outputSize: Size;
  /** In output pixels: the whole output, or the image area inside a `contain` letterbox. */
  readonly clip: Box;
}

const IDENTITY: Affine = { xx: 1, xy: 0, x0: 0, yx: 0, yy: 1, y0: 0 };

/** `then` after `first`. */
function compose(then: Affine, first: Affine): Affine {
  return {
    xx: then.xx * first.xx + then.xy * first.yx,
    xy: then.xx * first.xy + then.xy * first.yy,
    x0: then.xx * first.x0 + then.xy * first.y0 + then.x0,
    yx: then.yx * first.xx + then.yy * first.yx,
    yy: then.yx * first.xy + then.yy * first.yy,
    y0: then.yx * first.x0 + then.yy * first.y0 + then.y0,
  };
}

function scaleThenShift(sx: number, sy: number, dx = 0, dy = 0): Affine {
  return { xx: sx, xy: 0, x0: dx, yx: 0, yy: sy, y0: dy };
}

/**
 * The map of EXIF orientation `o` from the stored frame (width x height) to the displayed one, in
 * edge coordinates (a pixel [x, x+1) maps to a pixel), as sharp's autoOrient / PIL's exif_transpose
 * turn the pixels: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
 * 7 transverse, 8 rotate 90 counter-clockwise.
 *
 * @example
 * orientationMap({ width: 40, height: 30 }, 6).size; // { width: 30, height: 40 }
 */
export function orientationMap(stored: Size, orientation: number): { map: Affine; size: Size } {
  const { width: w, height: h } = stored;
  const swapped = { width: h, height: w };
  switch (orientation) {
    case 2: return { map: { xx: -1, xy: 0, x0: w, yx: 0, yy: 1, y0: 0 }, size: stored };
    case 3: return { map: { xx: -1, xy: 0, x0: w, yx: 0, yy: -1, y0: h }, size: stored };
    case 4: return { map: { xx: 1, xy: 0, x0: 0, yx: 0, yy: -1, y0: h }, size: stored };
    case 5: return { map: { xx: 0, xy: 1, x0: 0, yx: 1, yy: 0, y0: 0 }, size: swapped };
    case 6: return { map: { xx: 0, xy: -1, x0: h, yx: 1, yy: 0, y0: 0 }, size: swapped };
    case 7: return { map: { xx: 0, xy: -1, x0: h, yx: -1, yy: 0, y0: w }, size: swapped };
    case 8: return { map: { xx: 0, xy: 1, x0: 0, yx: -1, yy: 0, y0: w }, size: swapped };
    default: return { map: IDENTITY, size: stored };
  }
}

/** The inverse of an axis-aligned (permutation and sign) map, as orientation maps are. */
function invertOrthogonal(m: Affine): Affine {
  // For these maps the inverse of the linear part is its transpose.
  const xx = m.xx; const xy = m.yx; const yx = m.xy; const yy = m.yy;
  return { xx, xy, x0: -(xx * m.x0 + xy * m.y0), yx, yy, y0: -(yx * m.x0 + yy * m.y0) };
}

/** libvips' VIPS_ROUND_UINT and C's (int)(x + 0.5) for non-negative x. */
function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5);
}

/**
 * sharp's ResolveShrink (src/common.cc): the horizontal and vertical shrink factors for a target
 * size and canvas, with withoutEnlargement and the never-below-one-pixel clamp.
 */
function resolveShrink(w: number, h: number, target: Size, fit: ResizeFit, enlarge: boolean): [number, number] {
  let hs = w / target.width;
  let vs = h / target.height;
  if (fit === 'cover' || fit === 'outside') hs = vs = Math.min(hs, vs);
  else if (fit === 'contain' || fit === 'inside') hs = vs = Math.max(hs, vs);
  if (!enlarge) { hs = Math.max(1, hs); vs = Math.max(1, vs); }
  return [Math.min(hs, w), Math.min(vs, h)];
}

/**
 * sharp's JPEG shrink-on-load factor (src/pipeline.cc, fastShrinkOnLoad true): 8, 4 or 2 when the
 * common shrink allows, halved when the shrink is exactly that integer (libjpeg rounding errors).
 */
function jpegShrinkFactor(shrink: number): number {
  let factor = shrink >= 8 ? 8 : shrink >= 4 ? 4 : shrink >= 2 ? 2 : 1;
  if (factor > 1 && Math.trunc(shrink) === factor) factor /= 2;
  return factor;
}

/** A resize to exact pixel dimensions, with shrink-on-load first when it applies. */
function resizeTo(w: number, h: number, target: Size, fit: ResizeFit, enlarge: boolean, jpeg: boolean): { map: Affine; size: Size } {
  let [hs, vs] = resolveShrink(w, h, target, fit, enlarge);
  let pre = IDENTITY;
  let [iw, ih] = [w, h];
  const factor = jpeg ? jpegShrinkFactor(Math.min(hs, vs)) : 1;
  if (factor > 1) {
    // libvips' scaled JPEG decode gives floor(size / factor) pixels (measured against sharp 0.34.5:
    // ceil, libjpeg's own rounding, misses by a pixel); pixel edges scale by exactly 1/factor.
    [iw, ih] = [Math.max(1, Math.floor(w / factor)), Math.max(1, Math.floor(h / factor))];
    pre = scaleThenShift(1 / factor, 1 / factor);
    [hs, vs] = resolveShrink(iw, ih, target, fit, enlarge);
  }
  // vips_resize(1/hshrink, vscale 1/vshrink) makes round(size * scale) pixels, edge to edge.
  const size = { width: Math.max(1, roundHalfUp(iw * (1 / hs))), height: Math.max(1, roundHalfUp(ih * (1 / vs))) };
  return { map: compose(scaleThenShift(size.width / iw, size.height / ih), pre), size };
}

interface Stage { readonly map: Affine; readonly size: Size; readonly clip: Box }

/**
 * `--resize WxH --fit`: after the resize, cover crops with sharp's centre gravity, whose offset is
 * CalculateCrop's `(in - out + 1) / 2` in C integer division, i.e. ceil((in - out) / 2): an odd
 * excess leaves the extra column on the LEFT/top side cut. contain embeds (letterboxes) with
 * CalculateEmbedPosition's `(out - in) / 2`, i.e. floor: the extra column of background goes RIGHT/bottom.
 */
function planResize(size: Size, settings: GeometrySettings, jpeg: boolean): Stage {
  const target = settings.resize as Size;
  const resized = resizeTo(size.width, size.height, target, settings.fit, settings.enlarge, jpeg);
  const { width: rw, height: rh } = resized.size;
  if (settings.fit === 'cover' && (rw !== target.width || rh !== target.height)) {
    const cw = Math.min(rw, target.width);
    const ch = Math.min(rh, target.height);
    const left = Math.trunc((rw - cw + 1) / 2);
    const top = Math.trunc((rh - ch + 1) / 2);
    return { map: compose(scaleThenShift(1, 1, -left, -top), resized.map), size: { width: cw, height: ch }, clip: fullClip({ width: cw, height: ch }) };
  }
  if (settings.fit === 'contain' && (rw !== target.width || rh !== target.height)) {
    const left = Math.trunc((target.width - rw) / 2);
    const top = Math.trunc((target.height - rh) / 2);
    const out = { width: Math.max(rw, target.width), height: Math.max(rh, target.height) };
    return { map: compose(scaleThenShift(1, 1, left, top), resized.map), size: out, clip: { xmin: left, ymin: top, xmax: left + rw, ymax: top + rh } };
  }
  return { map: resized.map, size: resized.size, clip: fullClip(resized.size) };
}

/** `--resize-shorter N` as load.ts does it: both sides computed there (Math.round), then a fill resize. */
function planResizeShorter(size: Size, n: number, settings: GeometrySettings, jpeg: boolean): Stage | null {
  const { width: ow, height: oh } = size;
  if (!settings.enlarge && Math.min(ow, oh) <= n) return null;
  const [w, h] = ow <= oh ? [n, Math.max(1, Math.round((oh * n) / ow))] : [Math.max(1, Math.round((ow * n) / oh)), n];
  const resized = resizeTo(ow, oh, { width: w, height: h }, 'fill', true, jpeg);
  return { map: resized.map, size: resized.size, clip: fullClip(resized.size) };
}

function fullClip(size: Size): Box {
  return { xmin: 0, ymin: 0, xmax: size.width, ymax: size.height };
}

/**
 * The map from annotation coordinates to output pixels for one image. With `decoded` false
 * (pass-through) only a displayed-frame annotation moves (back to the stored frame).
 *
 * @example
 * const plan = planGeometry({ storedSize: { width: 640, height: 480 }, orientation: 1, frame: 'stored', decoded: true },
 *   { ...DEFAULT_IMAGE_SETTINGS, resize: { width: 320, height: 320 }, fit: 'contain' });
 * plan.outputSize; // { width: 320, height: 320 }; plan.clip.ymin === 40
 */
export function planGeometry(input: GeometryInput, settings: GeometrySettings): GeometryPlan {
  const orientation = Number.isInteger(input.orientation) && input.orientation >= 1 && input.orientation <= 8 ? input.orientation : 1;
  const oriented = orientationMap(input.storedSize, orientation);
  // Annotation frame -> stored frame.
  let map = input.frame === 'displayed' ? invertOrthogonal(oriented.map) : IDENTITY;
  if (!input.decoded) return { map, outputSize: input.storedSize, clip: fullClip(input.storedSize) };
  let size = input.storedSize;
  if (settings.autoOrient) {
    map = compose(oriented.map, map);
    size = oriented.size;
  }
  const jpeg = input.jpegShrinkOnLoad === true;
  let clip = fullClip(size);
  const stage = settings.resize !== null ? planResize(size, settings, jpeg)
    : settings.resizeShorter !== null ? planResizeShorter(size, settings.resizeShorter, settings, jpeg) : null;
  if (stage !== null) ({ map, size, clip } = { map: compose(stage.map, map), size: stage.size, clip: stage.clip });
  if (settings.centerCrop !== null) {
    // load.ts cropCentre: floor((size - crop) / 2), unlike sharp's cover crop (the image stage
    // refuses an image smaller than the crop, so the offsets are never negative there).
    const left = Math.floor((size.width - settings.centerCrop.width) / 2);
    const top = Math.floor((size.height - settings.centerCrop.height) / 2);
    map = compose(scaleThenShift(1, 1, -left, -top), map);
    clip = intersect({ xmin: clip.xmin - left, ymin: clip.ymin - top, xmax: clip.xmax - left, ymax: clip.ymax - top }, fullClip(settings.centerCrop));
    size = settings.centerCrop;
  }
  return { map, outputSize: size, clip };
}

function intersect(a: Box, b: Box): Box {
  return { xmin: Math.max(a.xmin, b.xmin), ymin: Math.max(a.ymin, b.ymin), xmax: Math.min(a.xmax, b.xmax), ymax: Math.min(a.ymax, b.ymax) };
}

function area(b: Box): number {
  return Math.max(0, b.xmax - b.xmin) * Math.max(0, b.ymax - b.ymin);
}

/**
 * Maps one box through an affine map (corners, then min/max: exact for the axis-aligned maps here).
 *
 * @example
 * mapBox({ xmin: 0, ymin: 0, xmax: 10, ymax: 5 }, plan.map);
 */
export function mapBox(box: Box, m: Affine): Box {
  const xs = [box.xmin, box.xmax];
  const ys = [box.ymin, box.ymax];
  const px: number[] = [];
  const py: number[] = [];
  for (const x of xs) for (const y of ys) { px.push(m.xx * x + m.xy * y + m.x0); py.push(m.yx * x + m.yy * y + m.y0); }
  return { xmin: Math.min(...px), ymin: Math.min(...py), xmax: Math.max(...px), ymax: Math.max(...py) };
}

/** Mapped boxes, and how many were dropped. */
export interface MappedObjects {
  readonly objects: readonly AnnotatedObject[];
  /** Boxes fully outside the output, or with less than minBoxVisible of their area left. */
  readonly dropped: number;
}

/**
 * Maps boxes into the output frame, clips them to the plan's clip rectangle, and drops a box that
 * is fully outside, or whose visible area is below `minBoxVisible` of its mapped area (0, the
 * default, keeps any box with positive visible area).
 *
 * @example
 * const { objects, dropped } = mapObjects(annotation.objects, plan, 0.25);
 */
export function mapObjects(objects: readonly AnnotatedObject[], plan: GeometryPlan, minBoxVisible = 0): MappedObjects {
  const kept: AnnotatedObject[] = [];
  let dropped = 0;
  for (const object of objects) {
    const mapped = mapBox(object.bbox, plan.map);
    const visible = intersect(mapped, plan.clip);
    const full = area(mapped);
    const seen = area(visible);
    if (seen <= 0 || full <= 0 || seen < minBoxVisible * full) {
      dropped++;
      continue;
    }
    // COCO's area is in source pixels: it scales with the map's determinant.
    const scale = Math.abs(plan.map.xx * plan.map.yy - plan.map.xy * plan.map.yx);
    kept.push({ ...object, bbox: visible, ...(object.area === undefined ? {} : { area: object.area * scale }) });
  }
  return { objects: kept, dropped };
}

/**
 * A plan stretched to the size the image stage actually produced, when they differ (a decoder
 * whose own shrink-on-load this module does not model, e.g. WebP's fractional scale). Equal sizes
 * return the plan unchanged; the wiring should count a difference, as it means the plan missed.
 *
 * @example
 * const plan = fitPlanToOutput(planGeometry(input, settings), { width: image.width, height: image.height });
 */
export function fitPlanToOutput(plan: GeometryPlan, actual: Size): GeometryPlan {
  const { width, height } = plan.outputSize;
  if (width === actual.width && height === actual.height) return plan;
  const sx = actual.width / width;
  const sy = actual.height / height;
  const { clip } = plan;
  return {
    map: compose(scaleThenShift(sx, sy), plan.map),
    outputSize: actual,
    clip: { xmin: clip.xmin * sx, ymin: clip.ymin * sy, xmax: clip.xmax * sx, ymax: clip.ymax * sy },
  };
}
