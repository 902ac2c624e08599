/** A small protobuf text-format parser: enough for label_map.pbtxt files, schema-free. */

/** A field's value: a scalar (string, number, identifier such as an enum or bool) or a nested message. */
export interface PbtxtField {
  readonly value: string | number | PbtxtMessage;
  /** 1-based line where the field starts (for messages naming the file and line). */
  readonly line: number;
}

/** A message: every field name with its values in file order (repeated fields have several). */
export type PbtxtMessage = Map<string, PbtxtField[]>;

/**
 * A syntax error at a line of the text.
 *
 * @example
 * try { parseTextProto('item {'); } catch (e) { if (e instanceof PbtxtSyntaxError) console.error(e.line, e.message); }
 */
export class PbtxtSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = 'PbtxtSyntaxError';
  }
}

interface Token {
  readonly kind: 'name' | 'string' | 'number' | 'punct';
  readonly text: string;
  readonly line: number;
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '?': '?' };

/**
 * Parses protobuf text format without a schema: `name: value`, `name { ... }` / `name: < ... >`,
 * lists `name: [a, b]`, `#` comments, both quote styles with C escapes, adjacent strings joined.
 * Field values keep their order; unknown fields are simply more map entries.
 *
 * @example
 * parseTextProto("item { id: 1 name: 'cat' }").get('item')?.[0]?.value; // Map { id => [...], name => [...] }
 */
export function parseTextProto(text: string): PbtxtMessage {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const take = (): Token => {
    const token = tokens[at++];
    if (token === undefined) throw new PbtxtSyntaxError('unexpected end of file', tokens.at(-1)?.line ?? 1);
    return token;
  };
  const parseScalar = (): string | number => {
    const token = take();
    if (token.kind === 'string') {
      let value = token.text;
      while (peek()?.kind === 'string') value += take().text;
      return value;
    }
    if (token.kind === 'number') return Number(token.text);
    if (token.kind === 'punct' && token.text === '-' && peek()?.kind === 'number') return 0 - Number(take().text);
    if (token.kind === 'name') return token.text;
    throw new PbtxtSyntaxError(`expected a value but found "${token.text}"`, token.line);
  };
  const parseMessage = (close: string | null): PbtxtMessage => {
    const message: PbtxtMessage = new Map();
    for (;;) {
      const next = peek();
      if (next === undefined) {
        if (close === null) return message;
        throw new PbtxtSyntaxError(`missing "${close}" before the end of file`, tokens.at(-1)?.line ?? 1);
      }
      if (next.kind === 'punct' && next.text === close) {
        at++;
        return message;
      }
      if (next.kind === 'punct' && (next.text === ',' || next.text === ';')) {
        at++;
        continue;
      }
      if (next.kind !== 'name') throw new PbtxtSyntaxError(`expected a field name but found "${next.text}"`, next.line);
      at++;
      const values = message.get(next.text) ?? [];
      message.set(next.text, values);
      const colon = peek()?.text === ':' && peek()?.kind === 'punct';
      if (colon) at++;
      for (const value of parseValues(colon)) values.push({ value, line: next.line });
    }
  };
  const parseValues = (colon: boolean): (string | number | PbtxtMessage)[] => {
    const next = peek();
    if (next?.kind === 'punct' && (next.text === '{' || next.text === '<')) {
      at++;
      return [parseMessage(next.text === '{' ? '}' : '>')];
    }
    if (!colon) throw new PbtxtSyntaxError(`expected ":" or "{" after a field name${next === undefined ? '' : ` but found "${next.text}"`}`, next?.line ?? 1);
    if (next?.kind === 'punct' && next.text === '[') {
      at++;
      const list: (string | number | PbtxtMessage)[] = [];
      while (peek()?.text !== ']' || peek()?.kind !== 'punct') {
        if (list.length > 0) {
          const comma = take();
          if (comma.text !== ',') throw new PbtxtSyntaxError(`expected "," or "]" but found "${comma.text}"`, comma.line);
        }
        list.push(...parseValues(true));
      }
      at++;
      return list;
    }
    return [parseScalar()];
  };
  return parseMessage(null);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      const [value, end] = readString(text, i, line);
      tokens.push({ kind: 'string', text: value, line });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i, i + 256)) as RegExpExecArray;
      tokens.push({ kind: 'name', text: match[0], line });
      i += match[0].length;
    } else if (/[0-9.]/.test(c)) {
      const match = /^(?:0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)[fFuUlL]*/.exec(text.slice(i, i + 256));
      if (match === null) throw new PbtxtSyntaxError(`bad number near "${text.slice(i, i + 10)}"`, line);
      tokens.push({ kind: 'number', text: match[0].replace(/[fFuUlL]+$/, ''), line });
      i += match[0].length;
    } else if ('{}<>[]:,;-'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      throw new PbtxtSyntaxError(`unexpected character "${c}"`, line);
    }
  }
  return tokens;
}

/** Reads a quoted string starting at `start`: returns its value and the index after the closing quote. */
function readString(text: string, start: number, line: number): [string, number] {
  const quote = text[start];
  const bytes: number[] = [];
  const pushText = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    const c = text[i] as string;
    if (c === '\n') throw new PbtxtSyntaxError('string not closed on its line', line);
    if (c !== '\\') {
      const cp = text.codePointAt(i) as number;
      pushText(String.fromCodePoint(cp));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = text[i + 1] ?? '';
    const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
    const hex = /^[xX]([0-9a-fA-F]{1,2})/.exec(text.slice(i + 1, i + 4));
    const unicode = /^u([0-9a-fA-F]{4})|^U([0-9a-fA-F]{8})/.exec(text.slice(i + 1, i + 10));
    // Octal and hex escapes are bytes (text format strings are byte strings); \u is a code point.
    if (octal !== null) {
      bytes.push(parseInt(octal[0], 8) & 0xff);
      i += 1 + octal[0].length;
    } else if (hex !== null) {
      bytes.push(parseInt(hex[1] as string, 16));
      i += 1 + hex[0].length;
    } else if (unicode !== null) {
      pushText(String.fromCodePoint(parseInt((unicode[1] ?? unicode[2]) as string, 16)));
      i += 1 + unicode[0].length;
    } else if (ESCAPES[e] !== undefined) {
      pushText(ESCAPES[e] as string);
      i += 2;
    } else {
      throw new PbtxtSyntaxError(`unknown escape "\\${e}"`, line);
    }
  }
  if (i >= text.length) throw new PbtxtSyntaxError('string not closed', line);
  return [Buffer.from(bytes).toString('utf8'), i + 1];
}
