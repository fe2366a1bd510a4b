/**
 * Deterministic hostile input for the fuzz test: a seeded PRNG drives every choice, so a failing
 * seed replays the same frames.
 */
import { mulberry32 } from '../../src/devnet/random.js'

/** One frame to send and what the server must do with it: reply once, or close with a code. */
export type FuzzFrame = { kind: string; data: string | Buffer; binary: boolean; expect: 'reply' | 1007 | 1009 }

export type FuzzOptions = { maxPayload: number; premiumToken: string }

type Rng = ReturnType<typeof createRng>

function createRng(seed: number) {
  const next = mulberry32(seed)
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!
  const chance = (p: number) => next() < p
  return { next, int, pick, chance }
}

const CHANNELS = ['prices', 'tokens', 'trades', 'alerts'] as const
const TYPES = ['subscribe', 'unsubscribe', 'ping', 'auth'] as const
const WEIRD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e0x1234',
  '\u200b',
  '💥🚀🌕',
  'ＰＲＩＣＥＳ',
  'prices\u0000',
  'Prices',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\ud800',
  '\udfff\ud800',
  'null',
  'undefined',
  'NaN',
  '1e400',
  '0x' + '０'.repeat(40),
  '*',
  '**',
  '%00',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "'; DROP TABLE tokens; --",
]

function hex(r: Rng, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += '0123456789abcdefABCDEF'[r.int(0, 21)]
  return s
}

const address = (r: Rng) => `0x${hex(r, 40)}`

function randomString(r: Rng, max: number): string {
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0x00, 0x1f],
    [0xa0, 0x2ff],
    [0x590, 0x6ff],
    [0x4e00, 0x4fff],
    [0xd800, 0xdfff],
    [0x1f300, 0x1f6ff],
  ]
  let s = ''
  const length = r.int(0, max)
  for (let i = 0; i < length; i++) {
    const [lo, hi] = r.pick(ranges)
    s += String.fromCodePoint(r.int(lo, hi))
  }
  return s
}

function randomScalar(r: Rng): unknown {
  return r.pick<() => unknown>([
    () => null,
    () => r.chance(0.5),
    () => r.int(-1e9, 1e9),
    () => r.next() * 1e20 - 1e10,
    () => -0,
    () => String(r.int(0, 1000)),
    () => r.pick(WEIRD_STRINGS),
    () => randomString(r, 40),
    () => [],
    () => ({}),
    () => address(r),
    () => [address(r)],
  ])()
}

/** A message the protocol accepts. */
function validMessage(r: Rng, token: string): Record<string, unknown> {
  const id = r.chance(0.5) ? { id: r.chance(0.5) ? r.int(0, 1e6) : `m-${r.int(0, 1e6)}` } : {}
  const addresses = (n: number) => Array.from({ length: n }, () => address(r))
  switch (r.int(0, 9)) {
    case 0:
    case 1:
      return { type: 'ping', ...id }
    case 2:
      return { type: 'subscribe', channel: 'prices', params: { tokens: r.chance(0.3) ? ['*'] : addresses(r.int(1, 5)) }, ...id }
    case 3:
      return { type: 'subscribe', channel: 'tokens', params: { includeRecent: r.chance(0.5) }, ...id }
    case 4:
      return { type: 'subscribe', channel: 'trades', params: { tokens: addresses(r.int(0, 3)), wallets: addresses(r.int(1, 3)), minValueUsd: r.int(0, 10000) }, ...id }
    case 5:
      return { type: 'subscribe', channel: 'alerts', params: { types: [r.pick(['price', 'volume', 'whale', 'rug', '*'])], minSeverity: r.pick(['info', 'warning', 'critical']) }, ...id }
    case 6:
      return { type: 'subscribe', channel: r.pick(['trades', 'prices']), params: { tokens: ['*'], since: r.int(0, 50) }, ...id }
    case 7:
      return { type: 'unsubscribe', channel: r.pick(CHANNELS), ...(r.chance(0.5) ? { params: { tokens: addresses(1) } } : {}), ...id }
    case 8:
      return { type: 'auth', token: r.chance(0.5) ? token : `${hex(r, 20)}.${hex(r, 30)}.${hex(r, 10)}`, ...id }
    default:
      return { type: 'auth', token: token.slice(0, r.int(1, token.length - 1)), ...id }
  }
}

/** A valid message with exactly one field made wrong. */
function oneFieldWrong(r: Rng, token: string): Record<string, unknown> {
  const message = structuredClone(validMessage(r, token))
  const params = message['params'] as Record<string, unknown> | undefined
  const target: Record<string, unknown> = params && r.chance(0.6) ? params : message
  const keys = Object.keys(target)
  switch (r.int(0, 5)) {
    case 0:
      if (keys.length > 0) delete target[r.pick(keys)]
      break
    case 1:
      if (keys.length > 0) target[r.pick(keys)] = randomScalar(r)
      break
    case 2:
      target[r.pick(['extra', 'tokenss', 'Type', 'since', 'id', 'params', randomString(r, 8)])] = randomScalar(r)
      break
    case 3: {
      const list = Object.values(target).find(Array.isArray) as unknown[] | undefined
      if (list && list.length > 0) list[r.int(0, list.length - 1)] = r.pick([randomScalar(r), address(r).slice(0, 41), `${address(r)}00`, address(r).replace('0x', '0X'), ` ${address(r)}`])
      else target['type'] = r.pick(WEIRD_STRINGS)
      break
    }
    case 4:
      message['type'] = r.pick([...TYPES.map((t) => t.toUpperCase()), ' ping', 'ping ', r.pick(WEIRD_STRINGS)])
      break
    default:
      message['channel'] = r.pick([...CHANNELS.map((c) => c + 's'), r.pick(WEIRD_STRINGS), 1, null, ['prices'], { prices: 1 }])
  }
  return message
}

/** Numbers where strings belong and strings where numbers belong. */
function numbersAsStrings(r: Rng): string {
  return JSON.stringify(
    r.pick([
      { type: 'subscribe', channel: 'trades', params: { tokens: ['*'], minValueUsd: String(r.int(0, 1e6)) } },
      { type: 'subscribe', channel: 'trades', params: { tokens: ['*'], since: String(r.int(0, 10)) } },
      { type: 'ping', id: { n: r.int(0, 9) } },
      { type: 'subscribe', channel: 'prices', params: { tokens: [r.int(0, 1e9), 0x1234] } },
      { type: 'subscribe', channel: 'alerts', params: { types: [1, 2], minSeverity: 2 } },
      { type: 'subscribe', channel: 'tokens', params: { includeRecent: 'true' } },
      { type: 'auth', token: r.int(0, 1e9) },
    ]),
  ).replace(/"since":"(\d+)"/, r.chance(0.5) ? '"since":1e400' : '"since":"$1"')
}

function protoKeys(r: Rng): string {
  return r.pick([
    '{"type":"subscribe","channel":"tokens","__proto__":{"polluted":true},"params":{}}',
    '{"__proto__":{"type":"ping"}}',
    '{"type":"subscribe","channel":"prices","params":{"__proto__":{"tokens":["*"]}}}',
    '{"type":"subscribe","channel":"trades","params":{"tokens":["*"],"constructor":{"prototype":{"polluted":true}}}}',
    '{"type":"ping","constructor":{"prototype":{"polluted":true}},"__proto__":{"polluted":true}}',
    '{"type":"unsubscribe","channel":"alerts","params":{"types":["__proto__"]}}',
    '{"type":"subscribe","channel":"alerts","params":{"types":["constructor"],"__proto__":null}}',
    '{"type":"auth","token":{"__proto__":{"polluted":true}}}',
    `{"type":"subscribe","channel":"__proto__","params":{"tokens":["${address(r)}"]}}`,
    '{"type":"toString"}',
    '{"type":"hasOwnProperty","channel":"constructor"}',
  ])
}

function deepNesting(r: Rng): string {
  const depth = r.int(100, 20_000)
  return r.pick([
    () => '['.repeat(depth) + ']'.repeat(depth),
    () => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    () => `{"type":"subscribe","channel":"trades","params":{"tokens":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    () => `{"type":"ping","id":${'{"id":'.repeat(depth)}1${'}'.repeat(depth)}}`,
    () => '['.repeat(depth),
  ])()
}

function hugeArray(r: Rng): string {
  const n = r.int(1001, 12_000)
  const element = r.pick([() => String(r.int(0, 9)), () => '"*"', () => `"${address(r)}"`, () => '[]', () => 'null'])
  const list = `[${Array.from({ length: n }, element).join(',')}]`
  return r.pick([
    () => list,
    () => `{"type":"subscribe","channel":"prices","params":{"tokens":${list}}}`,
    () => `{"type":"subscribe","channel":"trades","params":{"wallets":${list}}}`,
    () => `{"type":"subscribe","channel":"alerts","params":{"types":${list}}}`,
    () => `{"type":"unsubscribe","channel":"prices","params":{"tokens":${list}}}`,
  ])()
}

function invalidUtf8(r: Rng): Buffer {
  return Buffer.concat([Buffer.from('{"type":"'), Buffer.from([r.pick([0xff, 0xc0, 0xed, 0xf8]), 0x80, 0xfe]), Buffer.from('"}')])
}

/**
 * Yields `count` hostile frames for one connection, deterministically from `seed`.
 *
 * @example
 * for (const frame of fuzzFrames(1, 1000, { maxPayload: 1 << 20, premiumToken })) ws.send(frame.data, { binary: frame.binary })
 */
export function* fuzzFrames(seed: number, count: number, { maxPayload, premiumToken }: FuzzOptions): Generator<FuzzFrame> {
  const r = createRng(seed)
  const text = (kind: string, data: string): FuzzFrame => ({ kind, data, binary: false, expect: 'reply' })
  for (let i = 0; i < count; i++) {
    const roll = r.next()
    if (roll < 0.003) yield { kind: 'invalid-utf8', data: invalidUtf8(r), binary: false, expect: 1007 }
    else if (roll < 0.005) yield { kind: 'oversize', data: `{"type":"ping","pad":"${'x'.repeat(maxPayload)}"}`, binary: false, expect: 1009 }
    else if (roll < 0.06) yield { kind: 'random-bytes', data: Buffer.from(Array.from({ length: r.int(0, 2000) }, () => r.int(0, 255))), binary: true, expect: 'reply' }
    else if (roll < 0.14) yield text('random-text', randomString(r, 300))
    else if (roll < 0.19) yield text('deep-nesting', deepNesting(r))
    else if (roll < 0.24) yield text('huge-array', hugeArray(r))
    else if (roll < 0.33) yield text('numbers-as-strings', numbersAsStrings(r))
    else if (roll < 0.41) yield text('proto-keys', protoKeys(r))
    else if (roll < 0.5) yield text('unicode', JSON.stringify({ ...validMessage(r, premiumToken), [r.pick(['type', 'channel', 'id'])]: r.pick(WEIRD_STRINGS) + randomString(r, 20) }))
    else if (roll < 0.85) yield text('one-field-wrong', JSON.stringify(oneFieldWrong(r, premiumToken)))
    else yield text('valid', JSON.stringify(validMessage(r, premiumToken)))
  }
}
