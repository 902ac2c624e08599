import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childText, parseXml, XmlSyntaxError, XML_LIMITS } from '../../src/annotations/formats/xml.js';

test('reads elements, attributes, entities, comments, CDATA and the declaration', () => {
  const root = parseXml(`<?xml version="1.0"?>\n<!-- labelImg -->\n<annotation verified="yes">\n<filename>a &amp; b&#39;s &#x41;.jpg</filename><!-- c --><name><![CDATA[<dog>]]></name><empty/></annotation>\n`);
  assert.equal(root.name, 'annotation');
  assert.equal(root.attributes.get('verified'), 'yes');
  assert.equal(childText(root, 'filename'), "a & b's A.jpg");
  assert.equal(childText(root, 'name'), '<dog>');
  assert.equal(childText(root, 'empty'), '');
  assert.equal(root.children[0]?.line, 4);
});

test('refuses DOCTYPE, unknown entities, mismatched tags and bare ampersands, with a line', () => {
  const bad: [string, RegExp][] = [
    ['<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', /DOCTYPE/],
    ['<x>\n&e;</x>', /unknown entity &e;/],
    ['<x><y></x>', /<\/x> closes <y>/],
    ['<x>a & b</x>', /bare "&"/],
    ['<x>', /not closed/],
    ['<x/><y/>', /after the root/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseXml(text), (e: unknown) => e instanceof XmlSyntaxError && message.test(e.message), text);
  }
  assert.throws(() => parseXml('<x>\n\n&zz;</x>'), (e: unknown) => e instanceof XmlSyntaxError && e.line === 3);
});

test('nesting deeper than the limit is refused without recursion', () => {
  const depth = XML_LIMITS.maxDepth + 1;
  assert.throws(() => parseXml('<a>'.repeat(depth) + '</a>'.repeat(depth)), /nested deeper/);
  assert.equal(parseXml('<a>'.repeat(depth - 1) + '</a>'.repeat(depth - 1)).name, 'a');
});
