import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { ErrorCode } from '../../src/protocol/errors.js'
import { trade } from '../support/fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect } from '../support/wsClient.js'
import { fuzzFrames, type FuzzFrame } from './fuzzFrames.js'
import { hsToken, SECRET } from './support.js'
import { publishItems } from '../support/publish.js'

const CONNECTIONS = 8
const FRAMES_PER_CONNECTION = 1250
const MAX_PAYLOAD = 1024 * 1024
/** Frames in flight per connection before waiting for their replies. */
const WINDOW = 64
/** Every message type that answers a client frame (data, reorg and the greeting do not). */
const REPLY_TYPES = new Set(['error', 'subscribed', 'unsubscribed', 'pong', 'authenticated'])
const ERROR_CODES = new Set<string>(Object.values(ErrorCode))

let server: TestServer
let premiumToken: string

beforeAll(async () => {
  server = await startTestServer({
    JWT_SECRET: SECRET,
    MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
    RATE_LIMIT_PREMIUM_PER_MIN: '1000000',
    RATE_LIMIT_BURST: '100000',
  })
  premiumToken = await hsToken({ tier: 'premium' })
})
afterAll(() => server.stop())

type Tally = { frames: number; replies: number; closes: Record<number, number>; codes: Record<string, number>; kinds: Record<string, number> }

/** A fuzzing connection: counts replies and checks each is a well-formed, documented answer. */
async function fuzzSocket(tally: Tally) {
  const ws = new WebSocket(`${server.url}/?token=${premiumToken}`, { perMessageDeflate: false })
  let replies = 0
  let waiter: { target: number; resolve: () => void } | undefined
  ws.on('message', (data: Buffer, isBinary) => {
    expect(isBinary).toBe(false)
    const message = JSON.parse(data.toString()) as { type: string; code?: string }
    if (!REPLY_TYPES.has(message.type)) return
    if (message.type === 'error') {
      expect(ERROR_CODES.has(message.code!), `undocumented code ${message.code}`).toBe(true)
      tally.codes[message.code!] = (tally.codes[message.code!] ?? 0) + 1
    }
    replies++
    tally.replies++
    if (waiter && replies >= waiter.target) waiter.resolve()
  })
  ws.on('error', () => {})
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))
  return {
    ws,
    closed,
    replies: () => replies,
    /** Resolves once `target` replies have arrived (an awaited event, not a sleep). */
    repliesReach: (target: number) =>
      new Promise<void>((resolve, reject) => {
        if (replies >= target) return resolve()
        const timer = setTimeout(() => reject(new Error(`only ${replies}/${target} replies`)), 15_000)
        waiter = { target, resolve: () => (clearTimeout(timer), resolve()) }
      }),
  }
}

async function fuzzConnection(seed: number, tally: Tally): Promise<void> {
  let socket = await fuzzSocket(tally)
  let sent = 0
  for (const frame of fuzzFrames(seed, FRAMES_PER_CONNECTION, { maxPayload: MAX_PAYLOAD, premiumToken })) {
    tally.frames++
    tally.kinds[frame.kind] = (tally.kinds[frame.kind] ?? 0) + 1
    if (frame.expect !== 'reply') {
      socket = await expectClose(socket, sent, frame, tally)
      sent = 0
      continue
    }
    socket.ws.send(frame.data, { binary: frame.binary })
    sent++
    if (sent - socket.replies() >= WINDOW) await socket.repliesReach(sent - WINDOW / 2)
  }
  await socket.repliesReach(sent)
  socket.ws.close()
  await socket.closed
}

/** Sends a frame that must close the connection with a documented code, after the earlier frames were answered; then reconnects. */
async function expectClose(socket: Awaited<ReturnType<typeof fuzzSocket>>, sent: number, frame: FuzzFrame, tally: Tally) {
  await socket.repliesReach(sent)
  socket.ws.send(frame.data, { binary: frame.binary })
  const code = await socket.closed
  expect(code).toBe(frame.expect)
  tally.closes[code] = (tally.closes[code] ?? 0) + 1
  return fuzzSocket(tally)
}

describe('hostile input', () => {
  it('survives 10,000 generated frames: every frame answered or closed as documented, no pollution, nothing left behind, no gaps for a good client', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort()
    const good = await connect(`${server.url}/?token=${premiumToken}`)
    good.send({ type: 'subscribe', channel: 'trades', params: { tokens: ['*'] } })
    expect(await good.next()).toMatchObject({ type: 'subscribed' })
    const seqs: number[] = []
    good.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; seq?: number }
      if (m.type === 'data') seqs.push(m.seq!)
    })
    const published: number[] = []
    const publisher = setInterval(() => void publishItems(server.app, 'trades', [trade('0x1111111111111111111111111111111111111111')]).then((s) => published.push(s)), 5)

    const tally: Tally = { frames: 0, replies: 0, closes: {}, codes: {}, kinds: {} }
    await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => fuzzConnection(1000 + i, tally)))

    clearInterval(publisher)
    const last = await publishItems(server.app, 'trades', [trade('0x1111111111111111111111111111111111111111')])
    await good.next((m) => m.type === 'data' && m.seq === last, 10_000)
    published.push(last)

    expect(tally.frames).toBe(CONNECTIONS * FRAMES_PER_CONNECTION)
    const closes = Object.values(tally.closes).reduce((a, b) => a + b, 0)
    expect(tally.replies).toBe(tally.frames - closes)
    expect(Object.keys(tally.closes).sort()).toEqual(['1007', '1009'])
    expect(Object.keys(tally.codes).length).toBeGreaterThanOrEqual(8)
    expect(Object.keys(tally.kinds).length).toBe(11)

    expect(published.length).toBeGreaterThan(10)
    expect(seqs).toEqual(published)
    expect(seqs.slice(1).every((s, i) => s === seqs[i]! + 1)).toBe(true)

    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    expect(Object.prototype.toString.call([])).toBe('[object Array]')

    good.send({ type: 'ping', id: 'after' })
    expect(await good.next((m) => m.type === 'pong')).toMatchObject({ id: 'after' })
    await good.close()
    expect(server.gateway.connections()).toBe(0)
    for (const channel of ['prices', 'tokens', 'trades', 'alerts'] as const) expect(server.gateway.hub.subscriberCount(channel)).toBe(0)
    expect(server.gateway.stats().queuedBytes).toBe(0)
  })
})
