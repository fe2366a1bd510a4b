import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

/** A TCP proxy in front of a local port whose connections a test can cut or refuse. */
export type TcpProxy = {
  port: number
  /** How many client connections were accepted (and forwarded) so far. */
  readonly accepted: number
  /** Destroys every open connection (both sides); new connections are still accepted. */
  cutAll(): void
  /** While true, new connections are closed at once (and open ones are cut). */
  refuse(on: boolean): void
  /** Open connections stay open but stop carrying bytes (a half-dead link); new connections work. */
  freeze(): void
  /** New connections go to this port from now on (a load balancer sending clients to another server). */
  retarget(port: number): void
  close(): Promise<void>
}

/**
 * Starts a TCP proxy on a free port forwarding to `127.0.0.1:targetPort`.
 *
 * @example
 * const proxy = await startTcpProxy(anvil.port)
 * const wsUrl = `ws://127.0.0.1:${proxy.port}`
 * proxy.cutAll() // the follower sees its WebSocket drop
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  const pairs = new Set<[Socket, Socket]>()
  let refusing = false
  let accepted = 0
  let target = targetPort
  const server = createServer((client) => {
    if (refusing) return void client.destroy()
    accepted++
    const upstream = createConnection({ host: '127.0.0.1', port: target })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    client.pipe(upstream).pipe(client)
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    client.on('close', () => (pairs.delete(pair), upstream.destroy()))
    upstream.on('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no address')
  const cutAll = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  return {
    port: address.port,
    get accepted() {
      return accepted
    },
    cutAll,
    refuse(on) {
      refusing = on
      if (on) cutAll()
    },
    freeze() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
      pairs.clear()
    },
    retarget(port) {
      target = port
    },
    close: () => {
      cutAll()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
