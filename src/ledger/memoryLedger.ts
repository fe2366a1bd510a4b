import type { MemoryBus } from '../bus/memoryBus.js'
import type { MemoryStateStore } from '../state/memoryStateStore.js'
import type { Ledger } from './ledger.js'

/**
 * The ledger of one process: the state change and the publications happen in the same turn of the
 * event loop, so no reader sees one without the other.
 *
 * @example
 * const ledger = createMemoryLedger(bus, store)
 * await ledger.commit({ publications: [{ channel: 'trades', publication }], delta })
 */
export function createMemoryLedger(bus: MemoryBus, store: MemoryStateStore): Ledger {
  let commits = 0
  return {
    async start() {},
    rebuild: (delta) => store.apply(delta),
    async commit({ publications, delta }) {
      const publishedAt = Date.now()
      store.apply(delta)
      for (const { channel, publication } of publications) bus.append(channel, publication, publishedAt)
      commits++
    },
    status: () => ({ epoch: bus.status().epoch, commits }),
    async close() {},
  }
}
