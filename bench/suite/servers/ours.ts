/**
 * Server under test: core-meme-websocket itself (createApp of the build) with no chain
 * (CORE_NETWORK=none), the in-memory bus, JWT off and limits raised so that only the fan-out is
 * measured. The bench publishes through IPC (bench/suite/serverKit.ts): each message goes through
 * `app.bus.publish`, exactly as the indexer commits a block's items. It runs the build (see ../built.ts).
 */
import { pino } from 'pino'
import { built } from '../built.js'
import { runServer } from '../serverKit.js'
import type * as AppModule from '../../../src/app.js'
import type * as PublicationModule from '../../../src/bus/publication.js'
import type * as ConfigModule from '../../../src/config/config.js'

const { createApp } = await built<typeof AppModule>('app.js')
const { dataPublication, encodeItems } = await built<typeof PublicationModule>('bus/publication.js')
const { parseConfig } = await built<typeof ConfigModule>('config/config.js')

const config = parseConfig({
  WS_PORT: '0',
  HOST: '127.0.0.1',
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  CORE_NETWORK: 'none',
  MAX_CONNECTIONS: '100000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  RATE_LIMIT_PER_MIN: '1000000',
  RATE_LIMIT_BURST: '1000000',
  RATE_LIMIT_CLOSE_AFTER: '1000000',
  RATE_LIMIT_PREMIUM_PER_MIN: '1000000',
  ...(process.env.BENCH_OURS_ENV ? (JSON.parse(process.env.BENCH_OURS_ENV) as Record<string, string>) : {}),
})
const app = createApp(config, pino({ level: config.LOG_LEVEL }))

runServer({
  start: () => app.start(),
  connections: () => app.gateway?.connections() ?? 0,
  slowClosed: () => app.gateway?.stats().slowConsumers ?? 0,
  publishTrade(item) {
    void app.bus.publish('trades', dataPublication(encodeItems('trades', [item])))
  },
  publishBlock(block) {
    void app.bus.publish('trades', dataPublication(encodeItems('trades', block.trades)))
    void app.bus.publish('prices', dataPublication(encodeItems('prices', block.prices)))
    if (block.alerts.length > 0) void app.bus.publish('alerts', dataPublication(encodeItems('alerts', block.alerts)))
  },
})
