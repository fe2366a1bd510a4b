import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import { createHttpHandler, type Route } from './http.js'

/** The one HTTP listener of a process (the gateway upgrades WebSockets on it). */
export type HttpServer = {
  readonly server: Server
  /** Starts listening; resolves to the bound port (useful with port 0). */
  listen(): Promise<number>
  /** Stops listening and drops idle keep-alive connections. */
  close(): Promise<void>
}

/**
 * @example
 * const http = createHttpServer({ host: '127.0.0.1', port: 0, routes: { '/health': health }, logger })
 * const port = await http.listen()
 */
export function createHttpServer({ host, port, routes, logger }: { host: string; port: number; routes: Record<string, Route>; logger: Logger }): HttpServer {
  const server = createServer(createHttpHandler(routes, (err) => logger.error({ err }, 'http route failed')))
  return {
    server,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          const address = server.address()
          resolve(typeof address === 'object' && address ? address.port : port)
        })
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
