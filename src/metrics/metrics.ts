import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Label values of one series. */
export type Labels = Record<string, string>

/** Reads a metric's current values at scrape time: the component keeps the numbers, `/metrics` and `/health` read the same ones. */
export type Reader = () => Iterable<readonly [Labels, number]> | number

/**
 * The process's metrics (`GET /metrics`, Prometheus text, `prom-client`). One registry per
 * process (per app in tests). Names follow `cmws_<area>_<name>_<unit>`; the README lists them.
 *
 * Counters and gauges read the numbers their component already keeps (no second set of counters:
 * `/health` shows the same ones); histograms are observed where the event happens.
 */
export type Metrics = {
  readonly registry: Registry
  /** A counter whose value the component keeps; `read` gives it at scrape time. */
  counter(name: string, help: string, labelNames: readonly string[], read: Reader): void
  /** A gauge read at scrape time. */
  gauge(name: string, help: string, labelNames: readonly string[], read: Reader): void
  /** Bus publish → hand-off to the clients' send queues (the publish time travels with the message). */
  readonly deliveryDelay: Histogram<'channel'>
  /** Blocks per `eth_getLogs` call. */
  readonly getLogsRange: Histogram
  /** Blocks removed per reorg. */
  readonly reorgDepth: Histogram
  /** The Prometheus text of every series. */
  text(): Promise<string>
  readonly contentType: string
}

function values(read: Reader): Iterable<readonly [Labels, number]> {
  const v = read()
  return typeof v === 'number' ? [[{}, v]] : v
}

/**
 * @example
 * const metrics = createMetrics()
 * metrics.counter('cmws_gateway_rate_limited_total', 'Messages refused over the rate limit', [], () => counters.rateLimited)
 * await metrics.text() // '# HELP cmws_gateway_rate_limited_total …'
 */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'cmws_' })
  return {
    registry,
    counter(name, help, labelNames, read) {
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset()
          for (const [labels, value] of values(read)) this.inc(labels, value)
        },
      })
    },
    gauge(name, help, labelNames, read) {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset()
          for (const [labels, value] of values(read)) this.set(labels, value)
        },
      })
    },
    deliveryDelay: new Histogram({
      name: 'cmws_gateway_delivery_delay_seconds',
      help: 'Time from the bus publish (indexer commit) to the hand-off to the clients of this gateway, per bus message',
      labelNames: ['channel'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    getLogsRange: new Histogram({
      name: 'cmws_chain_getlogs_range_blocks',
      help: 'Blocks asked for per eth_getLogs call',
      buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000],
      registers: [registry],
    }),
    reorgDepth: new Histogram({
      name: 'cmws_chain_reorg_depth_blocks',
      help: 'Blocks removed per chain reorganisation',
      buckets: [1, 2, 3, 5, 8, 13, 21, 50],
      registers: [registry],
    }),
    text: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

/** `[labels, value]` pairs of a record keyed by one label. */
export function byLabel(label: string, record: Readonly<Record<string, number>>): [Labels, number][] {
  return Object.entries(record).map(([key, value]) => [{ [label]: key }, value])
}
