/** Words library option errors in the CLI's terms: flags instead of option names. */
import type { InvalidOptionError } from '../errors.js';
import { CONVERT_OPTION_TABLE, type OptionSpec } from '../convert/option-table.js';

/**
 * Option names whose flag is not simply the name in kebab case, from the option table (a library
 * option's flag in its first form, so output is `-o`; an option without a flag by its CLI name), plus the parts of --worker.
 */
const FLAG_OF: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(CONVERT_OPTION_TABLE as Readonly<Record<string, OptionSpec>>).flatMap(([key, spec]) => {
    // A negated flag (--no-auto-orient) names the option's opposite; errors keep the option's own name.
    const flag = spec.flag === null || spec.flag.startsWith('--no-') ? spec.cliName : /^[^\s,]+/.exec(spec.flag)?.[0];
    return !spec.library || flag === undefined || flag === kebabFlag(key) ? [] : [[key, flag]];
  })),
  'worker count': '--worker',
  'worker index': '--worker',
};

function kebabFlag(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** How a bad value of these flags is put, when "is not <expected>" reads poorly. */
const VALUE_HINT: Readonly<Record<string, (shown: string, expected: string) => string>> = {
  shardSize: (shown) => `${shown} is not a size; use e.g. 256MB`,
  split: (shown) => `${shown} is not a split spec; use e.g. train=0.8,validation=0.2`,
  'worker index': (shown, expected) => `worker index ${shown} is not ${withArticle(expected)}`,
  'worker count': (shown, expected) => `worker count ${shown} is not ${withArticle(expected)}`,
};

/**
 * The flag of a library option name: `shardSize` -> `--shard-size`.
 *
 * @example
 * flagOf('recordsPerShard'); // '--records-per-shard'
 */
export function flagOf(option: string): string {
  const fixed = FLAG_OF[option];
  if (fixed !== undefined) return fixed;
  if (!/^[a-z][A-Za-z0-9]*$/.test(option)) return option;
  return kebabFlag(option);
}

/**
 * The message of an option error as the CLI shows it: `--shard-size: "10XB" is not a size; use e.g. 256MB`.
 *
 * @example
 * describeOptionError(invalidParameterError('quality', 'integer between 1 and 100', 0)); // '--quality: 0 is not an integer between 1 and 100'
 */
export function describeOptionError(error: InvalidOptionError): string {
  if (error.value !== null) {
    const { option, expected, actual } = error.value;
    const shown = typeof actual === 'string' ? JSON.stringify(actual) : String(actual);
    const flag = flagOf(option);
    if (flag !== option) return `${flag}: ${VALUE_HINT[option]?.(shown, expected) ?? `${shown} is not ${withArticle(expected)}`}`;
  }
  let message = error.message;
  for (const option of error.options) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(option)) continue;
    message = message.replace(new RegExp(`(?<![-\\w])${option}(?![-\\w])`, 'g'), flagOf(option));
  }
  return message;
}

function withArticle(expected: string): string {
  if (/^(one of|an? |the |fractions|name=)/.test(expected)) return expected;
  return `${/^[aeiou]/i.test(expected) ? 'an' : 'a'} ${expected}`;
}
