/**
 * A small, safe XML reader for the Pascal VOC subset: elements, attributes (read and kept), text,
 * the five predefined and numeric character entities, comments, CDATA and processing instructions.
 * A DOCTYPE is refused (no DTD, so no external or expanding entities), and the input size, depth
 * and element count are bounded, so a hostile file costs at most linear time in its bounded size.
 */

/** An element: its name, attributes, children in order, and its text (concatenated, untrimmed). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  readonly text: string;
  /** 1-based line of the start tag. */
  readonly line: number;
}

/** Why an XML document was refused, with the 1-based line. */
export class XmlSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'XmlSyntaxError';
    this.line = line;
  }
}

/** Limits: VOC files are a few kilobytes; these leave room for thousands of objects. */
export const XML_LIMITS = Object.freeze({ maxChars: 16 * 1024 * 1024, maxDepth: 64, maxElements: 1_000_000 });

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

interface Building { name: string; attributes: Map<string, string>; children: XmlElement[]; text: string; line: number }

class Cursor {
  at = 0;
  line = 1;
  elements = 0;
  constructor(readonly text: string) {}
  fail(message: string): never {
    throw new XmlSyntaxError(message, this.line);
  }
  /** Moves to `to`, counting the newlines passed. */
  advance(to: number): void {
    for (let i = this.at; i < to; i++) if (this.text.charCodeAt(i) === 10) this.line++;
    this.at = to;
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.at);
  }
  /** Skips past `end`, returning the text before it. */
  until(end: string, what: string): string {
    const stop = this.text.indexOf(end, this.at);
    if (stop < 0) this.fail(`unterminated ${what}`);
    const body = this.text.slice(this.at, stop);
    this.advance(stop + end.length);
    return body;
  }
  name(): string {
    NAME.lastIndex = this.at;
    const m = NAME.exec(this.text);
    if (m === null) this.fail(`expected a name at "${this.text.slice(this.at, this.at + 10)}"`);
    this.at += m[0].length;
    return m[0];
  }
  spaces(): void {
    let i = this.at;
    while (i < this.text.length && /\s/.test(this.text[i] as string)) i++;
    this.advance(i);
  }
}

/** Decodes entity and character references; errors name the line of the reference in `raw` (which starts at the cursor's line). */
function decodeEntities(raw: string, cursor: Cursor): string {
  const failAt = (offset: number, message: string): never => {
    let line = cursor.line;
    for (let i = 0; i < offset; i++) if (raw.charCodeAt(i) === 10) line++;
    throw new XmlSyntaxError(message, line);
  };
  return raw.replace(/&([^;&\s]{1,10});|&/g, (whole: string, name: string | undefined, offset: number) => {
    if (name === undefined) return failAt(offset, 'a bare "&" (write &amp;)');
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      if (!Number.isInteger(code) || code < 1 || code > 0x10ffff) return failAt(offset, `invalid character reference ${whole}`);
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[name];
    if (value === undefined) return failAt(offset, `unknown entity ${whole} (only the predefined XML entities are read; DTDs are refused)`);
    return value;
  });
}

function readAttributes(cursor: Cursor): Map<string, string> {
  const attributes = new Map<string, string>();
  for (;;) {
    cursor.spaces();
    if (cursor.startsWith('>') || cursor.startsWith('/>')) return attributes;
    const name = cursor.name();
    cursor.spaces();
    if (!cursor.startsWith('=')) cursor.fail(`attribute ${name} has no value`);
    cursor.at++;
    cursor.spaces();
    const quote = cursor.text[cursor.at];
    if (quote !== '"' && quote !== "'") cursor.fail(`attribute ${name} value is not quoted`);
    cursor.at++;
    const value = cursor.until(quote, `attribute ${name}`);
    if (value.includes('<')) cursor.fail(`"<" in attribute ${name}`);
    attributes.set(name, decodeEntities(value, cursor));
  }
}

/** Skips the prolog items allowed outside the root: declaration, PIs, comments, whitespace. */
function skipMisc(cursor: Cursor): void {
  for (;;) {
    cursor.spaces();
    if (cursor.startsWith('<?')) cursor.until('?>', 'processing instruction');
    else if (cursor.startsWith('<!--')) cursor.until('-->', 'comment');
    else if (cursor.startsWith('<!DOCTYPE') || cursor.startsWith('<!doctype')) cursor.fail('a DOCTYPE is not accepted (no DTDs or external entities)');
    else return;
  }
}

/** Reads the content after an element's start tag up to its end tag (iterative, depth-bounded). */
function readContent(cursor: Cursor, root: Building): XmlElement {
  const stack: Building[] = [root];
  for (;;) {
    const top = stack[stack.length - 1] as Building;
    const lt = cursor.text.indexOf('<', cursor.at);
    if (lt < 0) cursor.fail(`element <${top.name}> is not closed`);
    const raw = cursor.text.slice(cursor.at, lt);
    if (raw.length > 0) top.text += decodeEntities(raw, cursor);
    cursor.advance(lt);
    if (cursor.startsWith('<!--')) cursor.until('-->', 'comment');
    else if (cursor.startsWith('<![CDATA[')) { cursor.at += 9; top.text += cursor.until(']]>', 'CDATA section'); }
    else if (cursor.startsWith('<?')) cursor.until('?>', 'processing instruction');
    else if (cursor.startsWith('<!')) cursor.fail('a declaration inside an element is not accepted');
    else if (cursor.startsWith('</')) {
      cursor.at += 2;
      const name = cursor.name();
      if (name !== top.name) cursor.fail(`</${name}> closes <${top.name}>`);
      cursor.spaces();
      if (!cursor.startsWith('>')) cursor.fail(`malformed end tag </${name}>`);
      cursor.at++;
      stack.pop();
      const done: XmlElement = top;
      const parent = stack[stack.length - 1];
      if (parent === undefined) return done;
      parent.children.push(done);
    } else {
      const child = readStartTag(cursor);
      if (child.closed) top.children.push(child.element);
      else {
        if (stack.length >= XML_LIMITS.maxDepth) cursor.fail(`elements nested deeper than ${XML_LIMITS.maxDepth}`);
        stack.push(child.element);
      }
    }
  }
}

function readStartTag(cursor: Cursor): { element: Building; closed: boolean } {
  const line = cursor.line;
  cursor.at++;
  const name = cursor.name();
  if (++cursor.elements > XML_LIMITS.maxElements) cursor.fail(`more than ${XML_LIMITS.maxElements} elements`);
  const attributes = readAttributes(cursor);
  const closed = cursor.startsWith('/>');
  cursor.at += closed ? 2 : 1;
  return { element: { name, attributes, children: [], text: '', line }, closed };
}

/**
 * Parses an XML document into its root element. Throws {@link XmlSyntaxError} (with a line) for
 * malformed input, a DOCTYPE, unknown entities, or input over {@link XML_LIMITS}.
 *
 * @example
 * const root = parseXml('<annotation><filename>a.jpg</filename></annotation>');
 * childText(root, 'filename'); // 'a.jpg'
 */
export function parseXml(text: string): XmlElement {
  if (text.length > XML_LIMITS.maxChars) throw new XmlSyntaxError(`document larger than ${XML_LIMITS.maxChars} characters`, 1);
  const cursor = new Cursor(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  skipMisc(cursor);
  if (!cursor.startsWith('<')) cursor.fail('expected a root element');
  const start = readStartTag(cursor);
  const root = start.closed ? start.element : readContent(cursor, start.element);
  skipMisc(cursor);
  if (cursor.at < cursor.text.length) cursor.fail('content after the root element');
  return root;
}

/**
 * The first child element with the given name, or undefined.
 *
 * @example
 * childElement(root, 'size');
 */
export function childElement(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/**
 * The trimmed text of the first child with the given name, or undefined when there is none.
 *
 * @example
 * childText(object, 'name'); // 'dog'
 */
export function childText(element: XmlElement, name: string): string | undefined {
  const child = childElement(element, name);
  return child === undefined ? undefined : child.text.trim();
}
