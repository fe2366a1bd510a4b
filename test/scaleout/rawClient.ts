import WebSocket from 'ws'
import type { Received } from '../support/wsClient.js'

/** One frame as it came off the wire: its exact text, and parsed. */
export type Frame = { text: string; message: Received }

/**
 * A WebSocket client that keeps every frame it received, raw and parsed, so a test can compare the
 * bytes two gateways sent. It connects from `localAddress` (any 127.0.0.0/8 address on Linux): each
 * address is a client IP of its own for the per-IP connection cap.
 */
export type RawClient = {
  ws: WebSocket
  /** The `connected` message. */
  hello: Received
  /** Every frame after `connected`, in arrival order. */
  frames: Frame[]
  send(message: unknown): void
  /** Resolves with the first frame (from the start) matching `filter`; fails after `timeoutMs`. */
  find(filter: (m: Received) => boolean, timeoutMs?: number): Promise<Received>
  /** Resolves once `check(frames)` holds (checked on every new frame); fails after `timeoutMs`. */
  until(check: (frames: Frame[]) => boolean, what: string, timeoutMs?: number): Promise<void>
  /** Resolves with the close code once the connection closed (by either side). */
  closed: Promise<number>
  close(): Promise<void>
}

/** The refusal of an upgrade: HTTP status and the parsed JSON body. */
export type Refusal = { status: number; body: unknown }

/** Opens a client, or resolves to the HTTP refusal of its upgrade. */
export function tryOpen(url: string, localAddress: string): Promise<RawClient | Refusal> {
  const ws = new WebSocket(url, { localAddress })
  const frames: Frame[] = []
  const checks = new Set<() => void>()
  let hello: Received | null = null
  let onHello: (() => void) | null = null
  ws.on('message', (data) => {
    const text = data.toString()
    const message = JSON.parse(text) as Received
    if (!hello && message.type === 'connected') {
      hello = message
      return onHello?.()
    }
    frames.push({ text, message })
    for (const check of [...checks]) check()
  })
  ws.on('error', () => {})
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))

  function until(check: (frames: Frame[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (check(frames)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const probe = () => {
        if (!check(frames)) return
        checks.delete(probe)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        checks.delete(probe)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last frames: ${frames.slice(-5).map((f) => f.text.slice(0, 300)).join('\n')}`))
      }, timeoutMs)
      checks.add(probe)
    })
  }

  async function find(filter: (m: Received) => boolean, timeoutMs = 15_000): Promise<Received> {
    await until((fs) => fs.some((f) => filter(f.message)), 'a matching frame', timeoutMs)
    return frames.find((f) => filter(f.message))!.message
  }

  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        req.destroy()
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as unknown })
      })
    })
    ws.once('error', reject)
    onHello = () =>
      resolve({
        ws,
        hello: hello!,
        frames,
        send: (m) => ws.send(JSON.stringify(m)),
        find,
        until,
        closed,
        async close() {
          if (ws.readyState === ws.CLOSED) return
          ws.close()
          await closed
        },
      })
  })
}

/** Opens a client; fails if the upgrade is refused. */
export async function open(url: string, localAddress: string): Promise<RawClient> {
  const result = await tryOpen(url, localAddress)
  if ('status' in result) throw new Error(`upgrade refused: HTTP ${result.status} ${JSON.stringify(result.body)}`)
  return result
}

const isData = (channel: string) => (f: Frame) => f.message.type === 'data' && f.message['channel'] === channel

/** The raw text of the live `data` frames of `channel` (snapshots excluded), in order. */
export function liveFrames(c: RawClient, channel: string): string[] {
  return c.frames.filter((f) => isData(channel)(f) && f.message['snapshot'] !== true).map((f) => f.text)
}

/** The seqs of the live `data` frames of `channel`. */
export function liveSeqs(c: RawClient, channel: string): number[] {
  return c.frames.filter((f) => isData(channel)(f) && f.message['snapshot'] !== true).map((f) => f.message['seq'] as number)
}

/** The trade items received on `trades`, in order. */
export function tradesOf(c: RawClient): Record<string, unknown>[] {
  return c.frames.filter(isData('trades')).flatMap((f) => (f.message['data'] as { trades: Record<string, unknown>[] }).trades)
}

/** The tx hashes of the trades received, in order. */
export function tradeHashes(c: RawClient): string[] {
  return tradesOf(c).map((t) => t['txHash'] as string)
}

/** The newest seq received on `channel` (data frames), or undefined. */
export function lastSeqOf(c: RawClient, channel: string): number | undefined {
  return liveSeqs(c, channel).at(-1)
}

/** Sends a subscribe and resolves with its `subscribed` reply (matched by `id`). */
export async function subscribeRaw(c: RawClient, channel: string, params: unknown, id: string): Promise<Received> {
  c.send({ type: 'subscribe', id, channel, params })
  const reply = await c.find((m) => m['id'] === id)
  if (reply.type !== 'subscribed') throw new Error(`subscribe ${channel} refused: ${JSON.stringify(reply)}`)
  return reply
}
