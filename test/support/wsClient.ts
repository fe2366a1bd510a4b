import WebSocket from 'ws'

export type Received = Record<string, unknown> & { type: string }

/** A test WebSocket client that queues every message so a test can await them in order. */
export type TestClient = {
  ws: WebSocket
  /** Resolves with the next message (optionally: the next one matching `filter`), failing after `timeoutMs`. */
  next(filter?: (m: Received) => boolean, timeoutMs?: number): Promise<Received>
  /** Sends an object as JSON, or a raw string/buffer as is. */
  send(message: unknown): void
  /** Messages received and not yet taken by `next`. */
  pending(): Received[]
  /** Protocol pings received since the client was created. */
  pings(): number
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>
  close(): Promise<void>
}

/**
 * Opens a client and waits for the server's `connected` message.
 *
 * @example
 * const c = await connect(`ws://127.0.0.1:${port}`)
 * c.send({ type: 'ping' }); await c.next() // { type: 'pong', … }
 */
export async function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient & { clientId: string; epoch: string }> {
  const ws = new WebSocket(url, options)
  const queue: Received[] = []
  const waiters: { filter: (m: Received) => boolean; resolve: (m: Received) => void }[] = []
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Received
    const i = waiters.findIndex((w) => w.filter(message))
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(message)
    else queue.push(message)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  ws.on('error', () => {})
  let pings = 0
  ws.on('ping', () => pings++)

  function next(filter: (m: Received) => boolean = () => true, timeoutMs = 5000): Promise<Received> {
    const i = queue.findIndex(filter)
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!)
    return new Promise((resolve, reject) => {
      const waiter = { filter, resolve: (m: Received) => (clearTimeout(timer), resolve(m)) }
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        reject(new Error(`no matching message within ${timeoutMs} ms; pending: ${JSON.stringify(queue).slice(0, 500)}`))
      }, timeoutMs)
      waiters.push(waiter)
    })
  }

  const client: TestClient = {
    ws,
    next,
    send: (m) => ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m)),
    pending: () => [...queue],
    pings: () => pings,
    closed,
    async close() {
      if (ws.readyState !== ws.CLOSED) {
        ws.close()
        await closed
      }
    },
  }
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
  const hello = await next((m) => m.type === 'connected')
  return { ...client, clientId: String(hello['clientId']), epoch: String(hello['epoch']) }
}

/**
 * Connects, subscribes and waits for the acknowledgement; the client is added to `track` so the
 * test can close it.
 *
 * @example
 * const c = await subscribe(server.url, 'trades', { tokens: ['*'] }, open)
 */
export async function subscribe(url: string, channel: string, params: unknown, track: TestClient[]): Promise<TestClient> {
  const c = await connect(url)
  track.push(c)
  c.send({ type: 'subscribe', channel, params })
  await c.next((m) => m.type === 'subscribed')
  return c
}
