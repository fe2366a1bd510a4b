/**
 * Child process of bench/connections.ts: opens `count` WebSocket connections to `url` from its own
 * loopback source address (at most `concurrency` handshakes in flight), subscribes each to the
 * trades firehose, and counts what arrives. Talks to the parent over IPC:
 *
 *   parent → { type: 'start', url, count, localAddress, concurrency }
 *   child  → { type: 'connected', established, refused, failed, firstError, ms }   (every attempt settled)
 *   parent → { type: 'expect', messages }  child → { type: 'delivered' }            (each connection has them all)
 *   parent → { type: 'report' }            child → { type: 'report', received, complete, dropped }
 *   parent → { type: 'exit' }                                                       (sockets close with the process)
 */
import WebSocket from 'ws'

type Start = { type: 'start'; url: string; count: number; localAddress: string; concurrency: number }
type FromParent = Start | { type: 'expect'; messages: number } | { type: 'report' } | { type: 'exit' }

const send = (message: Record<string, unknown>) => process.send!(message)
const sockets: WebSocket[] = []
/** Data frames received per established connection. */
const counts: number[] = []
let expected = Infinity
let received = 0
let complete = 0
let dropped = 0
let deliveredSent = false

function checkDelivered(): void {
  if (!deliveredSent && expected !== Infinity && complete === counts.length) {
    deliveredSent = true
    send({ type: 'delivered' })
  }
}

function start({ url, count, localAddress, concurrency }: Start): void {
  const started = performance.now()
  let launched = 0
  let settled = 0
  let established = 0
  let failed = 0
  let firstError: string | null = null
  const refused: Record<string, number> = {}

  const settle = () => {
    if (++settled === count) send({ type: 'connected', established, refused, failed, firstError, ms: Math.round(performance.now() - started) })
    else launch()
  }

  function open(): void {
    const ws = new WebSocket(url, { localAddress, perMessageDeflate: false })
    sockets.push(ws)
    let index = -1
    let done = false
    const fail = (reason: string) => {
      if (done) return
      done = true
      failed++
      firstError ??= reason
      settle()
    }
    ws.on('message', (data: Buffer) => {
      // Data frames are counted without parsing: `{"type":"data",…` has a 'd' at offset 9.
      if (data[9] === 0x64) {
        received++
        if (index >= 0 && ++counts[index]! === expected) {
          complete++
          checkDelivered()
        }
        return
      }
      const message = JSON.parse(data.toString()) as { type: string }
      if (message.type === 'connected') ws.send('{"type":"subscribe","channel":"trades","params":{"tokens":["*"]}}')
      else if (message.type === 'subscribed' && !done) {
        done = true
        established++
        index = counts.push(0) - 1
        settle()
      } else if (message.type === 'error') fail(`error reply: ${data.toString().slice(0, 200)}`)
    })
    ws.on('unexpected-response', (_req, res) => {
      if (done) return
      done = true
      refused[String(res.statusCode)] = (refused[String(res.statusCode)] ?? 0) + 1
      res.resume()
      ws.terminate()
      settle()
    })
    ws.on('error', (err) => fail(err.message))
    ws.on('close', (code) => {
      if (index >= 0) dropped++
      else fail(`closed ${code} before subscribed`)
    })
  }

  function launch(): void {
    if (launched < count) {
      launched++
      open()
    }
  }
  for (let i = 0; i < Math.min(concurrency, count); i++) launch()
}

process.on('message', (message: FromParent) => {
  if (message.type === 'start') start(message)
  else if (message.type === 'expect') {
    expected = message.messages
    complete = counts.filter((n) => n >= expected).length
    checkDelivered()
  } else if (message.type === 'report') send({ type: 'report', received, complete, dropped, established: counts.length })
  else if (message.type === 'exit') process.exit(0)
})
process.on('disconnect', () => process.exit(0))
