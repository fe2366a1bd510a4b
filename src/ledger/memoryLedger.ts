import type { MemoryBus } from '../bus/memoryBus.js'
import type { MemoryStateStore } from '../state/memoryStateStore.js'
import type { IndexerSnapshot, Ledger } from './ledger.js'
import type { StateFile } from './stateFile.js'

/**
 * The ledger of one process: the state change and the publications happen in the same turn of the
 * event loop, so no reader sees one without the other. With a `file`, the indexer's state and the
 * read model are journaled to disk after each commit, for a warm restart (the bus's numbering is new
 * after a restart anyway: clients re-subscribe under the new epoch).
 *
 * @example
 * const ledger = createMemoryLedger(bus, store, createStateFile('.data/checkpoint-mainnet.json'))
 * await ledger.commit({ publications: [{ channel: 'trades', publication }], delta })
 */
export function createMemoryLedger(bus: MemoryBus, store: MemoryStateStore, file?: StateFile): Ledger {
  let commits = 0
  const published: Record<string, number> = {}
  let snapshot: (() => IndexerSnapshot) | null = null
  let snapshotted = false
  return {
    async start() {},
    async load() {
      const loaded = await file?.load()
      if (!loaded) return null
      store.restore(loaded.readModel)
      snapshotted = true
      return loaded.restored
    },
    attach(read) {
      snapshot = read
    },
    rebuild: (delta) => store.apply(delta),
    async commit({ publications, delta, indexer }) {
      const publishedAt = Date.now()
      store.apply(delta)
      for (const { channel, publication } of publications) {
        bus.append(channel, publication, publishedAt)
        published[channel] = (published[channel] ?? 0) + 1
      }
      commits++
      if (!file || !indexer) return
      const current = snapshot && (!snapshotted || file.due()) ? snapshot() : null
      if (current?.position) {
        await file.compact({ ...current, position: current.position }, store.dump())
        snapshotted = true
      } else await file.append(indexer, delta)
    },
    status: () => ({ epoch: bus.status().epoch, commits, published }),
    async close() {},
  }
}
