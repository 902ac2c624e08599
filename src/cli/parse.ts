/**
 * Flag value parsers: turn command-line strings into checked values. Commander's message already
 * names the flag and the value given ("option '--quality <n>' argument '0' is invalid."); ours says what it takes.
 */
import { InvalidArgumentError } from 'commander';

/** Parser for an integer flag within [min, max]. */
export function parseInteger(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Parser for a number flag within [min, max]. */
export function parseNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} takes a number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Parser for `WxH`, e.g. `224x224`. */
export function parseDimensions(flag: string): (value: string) => { width: number; height: number } {
  return (value) => {
    const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(value);
    const width = Number(match?.[1]);
    const height = Number(match?.[2]);
    if (match === null || width < 1 || height < 1 || width > 65535 || height > 65535) {
      throw new InvalidArgumentError(`${flag} takes WxH, e.g. 224x224 (W and H from 1 to 65535).`);
    }
    return { width, height };
  };
}

/** Parser for a colour: `#rrggbb`, `#rgb`, `r,g,b`, or black / white. */
export function parseRgb(flag: string): (value: string) => { r: number; g: number; b: number } {
  return (value) => {
    const text = value.trim().toLowerCase();
    if (text === 'black') return { r: 0, g: 0, b: 0 };
    if (text === 'white') return { r: 255, g: 255, b: 255 };
    let hex = /^#?([0-9a-f]{6})$/.exec(text)?.[1];
    const short = /^#([0-9a-f]{3})$/.exec(text)?.[1];
    if (short !== undefined) hex = [...short].map((c) => c + c).join('');
    if (hex !== undefined) {
      return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16) };
    }
    const parts = text.split(',').map((p) => Number(p.trim()));
    if (parts.length === 3 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255)) {
      return { r: parts[0] as number, g: parts[1] as number, b: parts[2] as number };
    }
    throw new InvalidArgumentError(`${flag} takes #rrggbb, r,g,b (0..255), black or white.`);
  };
}

/** Parser for a tensor shape such as `--raw-shape 28,28,1`: 1 to 4 positive integers (`,` or `x` between). */
export function parseShape(flag: string): (value: string) => number[] {
  return (value) => {
    const dims = value.split(/[,x×]/).map((d) => d.trim());
    const shape = dims.map(Number);
    if (dims.length > 4 || !dims.every((d) => /^\d+$/.test(d)) || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new InvalidArgumentError(`Expected 1 to 4 comma-separated positive integers such as 28,28,1 for ${flag} but received "${value}".`);
    }
    return shape;
  };
}
