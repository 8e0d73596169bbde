import type { BodySpec, Field } from './routes.js'

/** mulberry32: a tiny seeded generator, so the corpus is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Texts no JSON parser accepts. */
export const malformedJson = [
  '{', '}', '[', '{"a":}', '{"a":1,}', '[1,2', '{\'a\':1}', '{"a":1}}', '"unterminated', '{"a":"\\x"}', '{"a":01}',
  'NaN', '{"a":Infinity}', '{"a":1}/*c*/', '{"a":undefined}', '{a:1}', '{"a" 1}', '{"a":tru}', 'nul', '{"a":"\u0001"}',
  '{"a":"b"', '{"a":[}', ',', '{"a":1}{"b":2}', '\u0000{}', '{"a":.5}', '{"a":-}', '{"a":"\\ud800\\"}', '{"\\u12"}',
]

/** A valid body cut short or with one character broken, kept only when it no longer parses. */
export function corruptions(text: string, rnd: () => number, count: number): string[] {
  const out = new Set<string>()
  const breakers = ['{', '}', '[', ']', ':', ',', '"', '\\', '\u0000']
  for (let tries = 0; out.size < count && tries < count * 20; tries++) {
    const at = 1 + Math.floor(rnd() * (text.length - 1))
    const candidate = rnd() < 0.5 ? text.slice(0, at) : text.slice(0, at) + breakers[Math.floor(rnd() * breakers.length)] + text.slice(at + 1)
    try {
      JSON.parse(candidate)
    } catch {
      out.add(candidate)
    }
  }
  return [...out]
}

/** Strings at the edges of Unicode: invalid on their own, invisible, confusable, or huge when normalised. */
export const unicodeEdges = [
  '\u0000', '\ud800', '\udfff', '\ud83d', '\ufeff', '\u202e', '\u200b', '\u200d', '\uffff', '\ufffe', '\u{10ffff}',
  'e\u0301'.repeat(300), '😀', '\u0085', '\u2028\u2029', 'ｒｏｌｅ', 'İı', 'ß', '\u00a0', '\u007f', '\ufdfa'.repeat(50), 'ﬀ',
]

/** Raw bytes that are not UTF-8 (lone continuation, overlong, truncated, surrogate, out of range). */
export const invalidUtf8: Buffer[] = [
  Buffer.from([0xff, 0xfe]), Buffer.from([0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xe2, 0x82]),
  Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
]

/** Prototype-pollution members, as raw JSON text (a parser must see them exactly like this). */
export const pollutingMembers = [
  '"__proto__":{"role":"admin"}',
  '"constructor":{"prototype":{"role":"admin"}}',
  '"\\u005f_proto__":{"role":"admin"}',
  '"__\\u0070roto__":{"role":"admin"}',
  '"__proto__":null',
  '"__proto__":[]',
  '"nested":{"__proto__":{"role":"admin"}}',
  '"list":[{"constructor":{"prototype":{"role":"admin"}}}]',
]

/** `{member, …example}` as text, whatever the example holds. */
export function withMember(example: Record<string, unknown>, member: string): string {
  const inner = JSON.stringify(example).slice(1, -1)
  return inner === '' ? `{${member}}` : `{${member},${inner}}`
}

/** Values a field of this kind must refuse (wrong type, out of range, too long, bad pattern). */
export function wrongValues(field: Field): unknown[] {
  const types: unknown[] = [null, [], {}]
  switch (field.kind) {
    case 'string': return [...types, 7, true, 'x'.repeat(field.max + 1), ...(field.min === 1 ? [''] : []), ...(field.pattern ? ['Not A Provider!', 'a/b', '\u0000'] : [])]
    case 'number': return [...types, '1', true, field.min - 1, field.max + 0.5, 'NaN']
    case 'bool': return [...types, 'true', 1, 0, 'false']
    case 'enum': return [...types, 'root', 'ADMIN', 'superadmin', '', 0]
    case 'array': return [null, {}, 'x', 7, [7], [null], [[[]]]]
    case 'record': return [null, [], 'x', 7, { k: [[1]] }, { 'bad key!': 'v' }, { k: '' }]
  }
}

/** Whole bodies of the wrong shape; `null` too when the body is required. */
export function wrongShapes(spec: BodySpec): string[] {
  return ['[]', '"body"', '123', 'true', '[{}]', '1e999', '-0', ...(spec.optional ? [] : ['null', '{}'])]
}

export const deepArray = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels)
export const deepObject = (levels: number, leaf = '1'): string => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels)
