import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'

/** One JSON-RPC request as the proxy saw it. */
export type RpcCall = { method: string; params: unknown[] }

/** What an interceptor answers instead of the node: a JSON-RPC error, or an HTTP status with a body. */
export type RpcInterception = { error: { code: number; message: string } } | { httpStatus: number; body?: string }

/** A JSON-RPC proxy that records every call and lets a test answer some of them itself. */
export type RpcProxy = {
  url: string
  /** Every call forwarded or intercepted, in order. */
  calls: RpcCall[]
  /** How many calls of `method` were made. */
  count(method: string): number
  /** Answers a call instead of the node when it returns something. */
  intercept: ((call: RpcCall) => RpcInterception | undefined) | null
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Starts an HTTP JSON-RPC proxy on a free port in front of `targetUrl` (single requests only).
 *
 * @example
 * const proxy = await startRpcProxy(anvil.rpcUrl)
 * proxy.intercept = ({ method }) => (method === 'eth_getLogs' ? { error: { code: -32005, message: 'query returned more than 10000 results' } } : undefined)
 */
export async function startRpcProxy(targetUrl: string): Promise<RpcProxy> {
  const proxy: RpcProxy = {
    url: '',
    calls: [],
    count: (method) => proxy.calls.filter((c) => c.method === method).length,
    intercept: null,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer(async (req, res) => {
    const body = await readBody(req)
    const request = JSON.parse(body) as { id: number; method: string; params?: unknown[] }
    const call = { method: request.method, params: request.params ?? [] }
    proxy.calls.push(call)
    const answer = proxy.intercept?.(call)
    if (answer && 'httpStatus' in answer) return void res.writeHead(answer.httpStatus).end(answer.body ?? '')
    if (answer) {
      res.writeHead(200, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: answer.error }))
    }
    try {
      const upstream = await fetch(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text())
    } catch {
      res.writeHead(502).end()
    }
  })
  server.keepAliveTimeout = 1000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('rpc proxy: no address')
  proxy.url = `http://127.0.0.1:${address.port}`
  return proxy
}
