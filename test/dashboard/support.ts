import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Received } from '../support/wsClient.js'

/** Debian's chromium (`apt-get install -y chromium`; `.ci/run` installs it). playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
/** How long a test waits for the page to show something. */
export const WAIT = { timeout: 15_000 }

/** Starts Debian's chromium headless, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`)
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
}

/** A port that is free now, so that a restarted server can take the same one. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** One WebSocket of the page: the URL it opened and the frames it sent and received, in order. */
export type SocketLog = { url: string; sent: Received[]; received: Received[] }

/**
 * Records every WebSocket the page opens (from now on), and the page's uncaught errors.
 *
 * @example
 * const { sockets, errors } = recordPage(page)
 * await page.goto(url)
 * sockets[0]!.url // 'ws://127.0.0.1:3003/'
 */
export function recordPage(page: Page): { sockets: SocketLog[]; errors: string[] } {
  const sockets: SocketLog[] = []
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  page.on('websocket', (ws) => {
    const log: SocketLog = { url: ws.url(), sent: [], received: [] }
    sockets.push(log)
    ws.on('framesent', ({ payload }) => log.sent.push(JSON.parse(String(payload)) as Received))
    ws.on('framereceived', ({ payload }) => log.received.push(JSON.parse(String(payload)) as Received))
  })
  return { sockets, errors }
}

/** The page's last `subscribe` to `channel` on a connection, and the server's reply to it (if there is one yet). */
export function lastSubscribe(socket: SocketLog, channel: string): { params: Record<string, unknown> | undefined; reply: Received | undefined } {
  const request = socket.sent.findLast((m) => m.type === 'subscribe' && m['channel'] === channel)
  const reply = socket.received.find((m) => (m.type === 'subscribed' || m.type === 'error') && m['id'] === request?.['id'])
  return { params: request?.['params'] as Record<string, unknown> | undefined, reply }
}
