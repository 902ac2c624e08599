/** Loads sharp (and libvips) on first use, so runs that never decode an image do not pay for it. */
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

let loaded: typeof SharpModule | null = null;

/**
 * The sharp module, required on the first call. Importing sharp loads libvips and its
 * dependencies (~60 ms of a 0.2 s start-up measured here), which a pass-through conversion, an
 * inspect or a dump never uses.
 *
 * @example
 * const meta = await loadSharp()(bytes).metadata();
 */
export function loadSharp(): typeof SharpModule {
  loaded ??= createRequire(import.meta.url)('sharp') as typeof SharpModule;
  return loaded;
}
