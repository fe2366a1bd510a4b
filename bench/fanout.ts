/**
 * Fan-out throughput: one in-process server (no chain) publishes trade messages on the bus; N clients
 * in a child process (the other core) subscribed to the firehose receive them. Reports delivered
 * messages per second from the first publish to the last delivery.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { pino } from 'pino'
import { createApp } from '../src/app.js'
import { parseConfig } from '../src/config/config.js'
import { dataPublication, encodeItems } from '../src/bus/publication.js'
import { trade } from '../test/support/fixtures.js'

export type FanoutResult = { name: string; clients: number; messages: number; deliveries: number; seconds: number; deliveriesPerSec: number; serverRssMb: number }

export async function benchFanout(clients: number, messages: number): Promise<FanoutResult> {
  const config = parseConfig({ WS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'production', CORE_NETWORK: 'none', HISTORY_SIZE: '0', MAX_CONNECTIONS_PER_IP: '100000', MAX_CONNECTIONS: '100000' })
  const app = createApp(config, pino({ level: 'silent' }))
  const port = await app.start()
  const child = fork(new URL('./fanoutClients.ts', import.meta.url).pathname, [`ws://127.0.0.1:${port}`, String(clients), String(messages)], { execArgv: ['--import', 'tsx'] })
  try {
    const next = (type: string) =>
      new Promise<{ received?: number }>((resolve, reject) =>
        child.on('message', (m: { type: string; message?: string; received?: number }) => (m.type === type ? resolve(m) : m.type === 'error' ? reject(new Error(m.message)) : undefined)),
      )
    await next('ready')
    const finished = next('done')
    const publication = dataPublication(encodeItems('trades', [trade('0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB')]))
    const started = performance.now()
    for (let i = 0; i < messages; i++) {
      await app.bus.publish('trades', publication)
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
    const { received = 0 } = await finished
    const seconds = (performance.now() - started) / 1000
    const rss = process.memoryUsage().rss / 2 ** 20
    return { name: `fan-out, ${clients} clients × ${messages} messages (trades "*")`, clients, messages, deliveries: received, seconds: round(seconds), deliveriesPerSec: Math.round(received / seconds), serverRssMb: Math.round(rss) }
  } finally {
    child.send({ type: 'exit' })
    await once(child, 'exit')
    await app.stop()
  }
}

const round = (x: number) => Math.round(x * 100) / 100
