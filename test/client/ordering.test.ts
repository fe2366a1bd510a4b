import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ChannelEvent, type MemeClient, type WebSocketLike } from '../../src/client/index.js'
import { waitFor } from '../support/waitFor.js'

/**
 * The order a handler sees when a reply and the frames after it arrive in one network read and are
 * dispatched back to back, as `ws` does in Node (browsers dispatch a task per message): the
 * `subscribed` (and a `gap`) before the data that follows it, and the resume point kept across a
 * partial replay. A scripted socket plays the server, so the interleaving is exact.
 */

type Reply = { seq: number; resumed?: boolean; replay: number[] }
const params = { tokens: ['*'], wallets: [] }
const frame = (m: object) => ({ data: JSON.stringify(m) })

/** A socket whose server answers each subscribe with `next()`'s reply and replay, all in one turn. */
function scriptedServer(next: (since: number | null) => Reply) {
  const sockets: WebSocketLike[] = []
  const sent: (number | null)[] = []
  class Scripted implements WebSocketLike {
    readyState = 0
    onopen: WebSocketLike['onopen'] = null
    onmessage: WebSocketLike['onmessage'] = null
    onclose: WebSocketLike['onclose'] = null
    onerror: WebSocketLike['onerror'] = null
    constructor() {
      sockets.push(this)
      setImmediate(() => {
        this.readyState = 1
        this.onmessage?.(frame({ type: 'connected', clientId: 'c', timestamp: 0, epoch: 'e1' }))
      })
    }
    send(data: string): void {
      const m = JSON.parse(data) as { type: string; id: string; params: { since?: number } }
      if (m.type !== 'subscribe') return
      const since = m.params.since ?? null
      sent.push(since)
      const reply = next(since)
      setImmediate(() => {
        this.onmessage?.(frame({ type: 'subscribed', id: m.id, channel: 'trades', params, seq: reply.seq, ...(reply.resumed === undefined ? {} : { resumed: reply.resumed }) }))
        for (const seq of reply.replay) this.onmessage?.(frame({ type: 'data', channel: 'trades', data: { trades: [{ txHash: `0x${seq}` }] }, seq }))
      })
    }
    close(code = 1000): void {
      this.readyState = 3
      setImmediate(() => this.onclose?.({ code, reason: '' }))
    }
  }
  return { Scripted, sockets, sent }
}

const short = (e: ChannelEvent<'trades'>) =>
  e.type === 'data' ? `data ${e.seq}` : e.type === 'subscribed' ? `subscribed ${e.seq} ${String(e.resumed)}` : e.type === 'gap' ? `gap ${e.reason} ${e.seq}` : e.type

let client: MemeClient | undefined
afterEach(() => client?.close())

describe('a reply and the frames after it in one read', () => {
  it('hands over subscribed before the data that followed it, then a gap before a partial replay, and resumes after the replay', async () => {
    const replies: Reply[] = [
      { seq: 6, replay: [7] }, // first subscribe: the reply and a live frame
      { seq: 13, resumed: false, replay: [12, 13] }, // since 7: the history starts at 12 now
      { seq: 15, resumed: true, replay: [14, 15] }, // since 13
    ]
    const server = scriptedServer(() => replies.shift()!)
    const got: string[] = []
    client = connect('ws://scripted', { WebSocket: server.Scripted, reconnect: { minMs: 1, maxMs: 1 } })
    client.subscribe('trades', { tokens: ['*'] }, (e) => got.push(short(e)))

    await waitFor(() => got.length === 2)
    expect(got).toEqual(['subscribed 6 null', 'data 7'])

    server.sockets.at(-1)!.close(1012)
    await waitFor(() => got.length === 6)
    expect(got.slice(2)).toEqual(['gap not_resumed 13', 'subscribed 13 false', 'data 12', 'data 13'])

    server.sockets.at(-1)!.close(1012)
    await waitFor(() => got.length === 9)
    expect(got.slice(6)).toEqual(['subscribed 15 true', 'data 14', 'data 15'])
    expect(server.sent).toEqual([null, 7, 13])
  })

  it('resumes from the last seq before a partial replay when the connection drops before it arrives', async () => {
    const replies: Reply[] = [
      { seq: 6, replay: [7] },
      { seq: 13, resumed: false, replay: [] }, // nothing left to replay, and the connection drops at once
      { seq: 13, resumed: false, replay: [] },
    ]
    const server = scriptedServer(() => replies.shift()!)
    const got: string[] = []
    client = connect('ws://scripted', { WebSocket: server.Scripted, reconnect: { minMs: 1, maxMs: 1 } })
    client.subscribe('trades', { tokens: ['*'] }, (e) => got.push(short(e)))
    await waitFor(() => got.length === 2)
    server.sockets.at(-1)!.close(1012)
    await waitFor(() => got.length === 4)
    server.sockets.at(-1)!.close(1012)
    await waitFor(() => got.length === 6)
    // Each resume asked from 7 (never a fresh subscribe that would skip silently), and each hole was told.
    expect(server.sent).toEqual([null, 7, 7])
    expect(got).toEqual(['subscribed 6 null', 'data 7', 'gap not_resumed 13', 'subscribed 13 false', 'gap not_resumed 13', 'subscribed 13 false'])
  })
})
