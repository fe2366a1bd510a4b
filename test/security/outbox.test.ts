import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { createFlusher, createOutbox, type Frame } from '../../src/gateway/outbox.js'
import { textFrame } from '../../src/gateway/wireFrame.js'

/** The payload of one unmasked text frame, checking that `wire` is exactly one such frame. */
function unframe(wire: Buffer): string {
  expect(wire[0]).toBe(0x81)
  const short = wire[1]!
  const [offset, length] = short < 126 ? [2, short] : short === 126 ? [4, wire.readUInt16BE(2)] : [10, Number(wire.readBigUInt64BE(2))]
  expect(wire.length).toBe(offset + length)
  return wire.subarray(offset).toString()
}

/**
 * A socket and WebSocket pair that record what is written, as text: through `ws.send` when the
 * connection negotiated an extension, as whole frames on the socket when not (`extensions: ''`).
 * `needDrain` simulates a client that stopped reading.
 */
function fakeConnection(extensions: string) {
  const writes: string[] = []
  const closes: [number, string][] = []
  const socket = Object.assign(new EventEmitter(), {
    writableNeedDrain: false,
    corks: 0,
    cork: () => void socket.corks++,
    uncork: () => {},
    write: (wire: Buffer) => void (writes.push(unframe(wire)), (ws.bufferedAmount += wire.length)),
  })
  // What is sent stays buffered (the client does not read) until a test says otherwise.
  const ws = { OPEN: 1, readyState: 1, bufferedAmount: 0, extensions, send: (data: Buffer) => void (writes.push(data.toString()), (ws.bufferedAmount += data.length)), close: (code: number, reason: string) => void closes.push([code, reason]) }
  return { socket, ws, writes, closes }
}

function setup(extensions: string, maxBytes = 1000) {
  const conn = fakeConnection(extensions)
  let overflows = 0
  const outbox = createOutbox({
    ws: conn.ws as unknown as WebSocket,
    socket: conn.socket as unknown as Duplex,
    maxBytes,
    flusher: createFlusher((err) => {
      throw err
    }),
    onOverflow: () => void overflows++,
  })
  return { ...conn, outbox, overflows: () => overflows }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

function frame(seq: number, text: string): Frame {
  const { wire, payload } = textFrame(text)
  return { seq, bytes: payload, wire }
}

function priceFrame(seq: number, prices: Record<string, number>): Frame {
  const items = Object.entries(prices).map(([token, p]) => JSON.stringify({ tokenAddress: token, price: p }))
  return { ...frame(seq, `{"seq":${seq}}`), latest: { keys: Object.keys(prices), items } }
}

// Without an extension the outbox writes shared wire frames; with permessage-deflate, ws frames (and compresses) each message.
describe.each(['', 'permessage-deflate'])('outbox (extensions: %j)', (extensions) => {
  it('writes one turn of messages together, corked, in order', async () => {
    const { outbox, writes, socket } = setup(extensions)
    outbox.send('a')
    outbox.send('b')
    outbox.sendFrame('trades', frame(1, 'c'))
    expect(writes).toEqual([])
    await nextTurn()
    expect(writes).toEqual(['a', 'b', 'c'])
    expect(socket.corks).toBe(1)
  })

  it('keeps whole price frames while the client keeps up', async () => {
    const { outbox, writes } = setup(extensions)
    outbox.sendFrame('prices', priceFrame(1, { A: 1 }))
    outbox.sendFrame('prices', priceFrame(2, { A: 2 }))
    await nextTurn()
    expect(writes).toEqual(['{"seq":1}', '{"seq":2}'])
  })

  it('while the socket has not drained, keeps the newest price per token under the newest seq', async () => {
    const { outbox, writes, socket } = setup(extensions)
    socket.writableNeedDrain = true
    outbox.send('x')
    outbox.sendFrame('prices', priceFrame(5, { A: 1, B: 1 }))
    outbox.sendFrame('trades', frame(9, 't'))
    outbox.sendFrame('prices', priceFrame(6, { A: 2 }))
    outbox.sendFrame('prices', priceFrame(7, { C: 3, A: 3 }))
    await nextTurn()
    expect(writes).toEqual([])
    socket.writableNeedDrain = false
    socket.emit('drain')
    expect(writes).toEqual([
      'x',
      '{"type":"data","channel":"prices","data":{"prices":[{"tokenAddress":"A","price":3},{"tokenAddress":"B","price":1},{"tokenAddress":"C","price":3}]},"seq":7}',
      't',
    ])
  })

  it('starts a new merge after a whole message of the same channel (a snapshot stays between older and newer ticks)', async () => {
    const { outbox, writes, socket } = setup(extensions)
    socket.writableNeedDrain = true
    outbox.sendFrame('prices', priceFrame(1, { A: 1 }))
    outbox.send('snapshot', 'prices')
    outbox.sendFrame('prices', priceFrame(2, { A: 2 }))
    socket.writableNeedDrain = false
    socket.emit('drain')
    await nextTurn()
    expect(writes.map((w) => (w.startsWith('{"type"') ? JSON.parse(w).seq : w))).toEqual([1, 'snapshot', 2])
  })

  it('drops the queue and reports an overflow once the backlog passes maxBytes while behind', async () => {
    const { outbox, writes, socket, ws, overflows } = setup(extensions, 1000)
    outbox.send('y'.repeat(5000))
    expect(overflows()).toBe(0)
    await nextTurn()
    expect(writes).toHaveLength(1)
    // The socket took it all and sent most of it: 900 bytes are still buffered, and it has not drained.
    socket.writableNeedDrain = true
    ws.bufferedAmount = 900
    outbox.send('w'.repeat(10))
    await nextTurn()
    expect(writes).toHaveLength(1)
    outbox.send('z'.repeat(40))
    expect(overflows()).toBe(0)
    outbox.send('z'.repeat(51))
    expect(overflows()).toBe(1)
    expect(outbox.queuedBytes()).toBe(0)
    outbox.send('more')
    socket.writableNeedDrain = false
    socket.emit('drain')
    await nextTurn()
    expect(writes).toHaveLength(1)
    expect(overflows()).toBe(1)
  })

  it('on end, writes what is queued even before a drain, then closes', () => {
    const { outbox, writes, socket, closes } = setup(extensions)
    socket.writableNeedDrain = true
    outbox.send('last words')
    outbox.end(1008, 'rate limit exceeded')
    expect(writes).toEqual(['last words'])
    expect(closes).toEqual([[1008, 'rate limit exceeded']])
  })
})
