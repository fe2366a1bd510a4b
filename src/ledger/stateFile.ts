import { createReadStream } from 'node:fs'
import { appendFile, mkdir, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { checkpointFromJson, checkpointToJson } from '../chain/checkpoint.js'
import type { BlockRecord } from '../indexer/reorg.js'
import { tableNames, type StateRows } from '../indexer/state.js'
import { decodeJson, encodeJson } from '../indexer/tables.js'
import { createMemoryStateStore, type StateDump } from '../state/memoryStateStore.js'
import type { StateDelta } from '../state/stateStore.js'
import type { IndexerWrite, Restored } from './ledger.js'

/** The indexer's state on disk, for a process without Redis: a snapshot file and a journal of commits after it. */
export type StateFile = {
  /** The snapshot with the journal replayed over it, or null (no state yet, or a file of another version). */
  load(): Promise<{ restored: Restored; readModel: StateDump } | null>
  /** Appends one commit; resolves once it is written. */
  append(write: IndexerWrite, delta: StateDelta): Promise<void>
  /** True when the journal grew enough that a new snapshot should replace it. */
  due(): boolean
  /** Writes a snapshot of everything (atomically), then empties the journal. */
  compact(snapshot: Restored, readModel: StateDump): Promise<void>
}

const VERSION = 2
/** A new snapshot once the journal passes this size. */
const COMPACT_BYTES = 16 * 2 ** 20

type SnapshotJson = { version: 2; journal: number; position: string; rows: StateRows; records: string[]; readModel: { recent: string[]; tokens: [string, { price?: string; launch?: string; trades: string[]; buckets: [number, string][] }][] } }
type JournalLine = { n: number; position: string; rows: IndexerWrite['rows']; record?: string; dropRecordsAbove?: number; finalized?: number; delta: StateDelta }

/**
 * @example
 * const file = createStateFile('.data/checkpoint-mainnet.json') // and .data/checkpoint-mainnet.json.log
 */
export function createStateFile(path: string): StateFile {
  const journal = `${path}.log`
  let lines = 0
  let bytes = 0
  let serial = 0

  async function readSnapshot(): Promise<SnapshotJson | null> {
    try {
      const json = JSON.parse(await readFile(path, 'utf8')) as SnapshotJson
      return json.version === VERSION ? json : null
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async function replay(snapshot: SnapshotJson): Promise<{ restored: Restored; readModel: StateDump }> {
    const rows = new Map(tableNames.map((name) => [name, new Map(snapshot.rows[name] ?? [])]))
    const records = new Map(snapshot.records.map((text) => [decodeJson<BlockRecord>(text).number, text]))
    const store = createMemoryStateStore({ recentLimit: Number.MAX_SAFE_INTEGER, tradesPerToken: Number.MAX_SAFE_INTEGER, seqOf: () => 0 })
    store.restore({ recent: snapshot.readModel.recent, tokens: new Map(snapshot.readModel.tokens.map(([t, s]) => [t, { ...s, buckets: new Map(s.buckets) }])) })
    let position = snapshot.position
    lines = snapshot.journal
    for await (const text of readLines(journal)) {
      let line: JournalLine
      try {
        line = JSON.parse(text) as JournalLine
      } catch {
        break // a line cut by a crash: the commit it held did not happen
      }
      if (line.n <= snapshot.journal) continue
      lines = line.n
      for (const [table, key, value] of line.rows) {
        if (value === null) rows.get(table)!.delete(key)
        else rows.get(table)!.set(key, value)
      }
      if (line.dropRecordsAbove !== undefined) for (const n of [...records.keys()]) if (n > line.dropRecordsAbove) records.delete(n)
      if (line.record) records.set(decodeJson<BlockRecord>(line.record).number, line.record)
      if (line.finalized !== undefined) for (const n of [...records.keys()]) if (n <= line.finalized) records.delete(n)
      store.apply(line.delta)
      position = line.position
    }
    const restoredRows = Object.fromEntries([...rows].map(([name, map]) => [name, [...map]])) as StateRows
    const restoredRecords = [...records.values()].map((text) => decodeJson<BlockRecord>(text)).sort((a, b) => a.number - b.number)
    return { restored: { position: checkpointFromJson(position), rows: restoredRows, records: restoredRecords }, readModel: store.dump() }
  }

  return {
    async load() {
      const snapshot = await readSnapshot()
      if (!snapshot) return null
      bytes = await stat(journal).then((s) => s.size, () => 0)
      return replay(snapshot)
    },
    async append(write, delta) {
      const line: JournalLine = {
        n: ++lines,
        position: checkpointToJson(write.position),
        rows: write.rows,
        ...(write.record ? { record: encodeJson(write.record) } : {}),
        ...(write.dropRecordsAbove !== undefined ? { dropRecordsAbove: write.dropRecordsAbove } : {}),
        ...(write.finalized !== undefined ? { finalized: write.finalized } : {}),
        delta,
      }
      const text = `${JSON.stringify(line)}\n`
      await mkdir(dirname(path), { recursive: true })
      await appendFile(journal, text)
      bytes += Buffer.byteLength(text)
    },
    due: () => bytes > COMPACT_BYTES,
    async compact(snapshot, readModel) {
      const json: SnapshotJson = {
        version: VERSION,
        journal: lines,
        position: checkpointToJson(snapshot.position),
        rows: snapshot.rows,
        records: snapshot.records.map((r) => encodeJson(r)),
        readModel: { recent: readModel.recent, tokens: [...readModel.tokens].map(([t, s]) => [t, { ...s, buckets: [...s.buckets] }]) },
      }
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.${serial++}.tmp`
      await writeFile(tmp, JSON.stringify(json))
      await rename(tmp, path)
      await truncate(journal, 0).catch(() => {})
      bytes = 0
    },
  }
}

async function* readLines(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, 'utf8')
  const done = new Promise<boolean>((resolve) => {
    stream.once('error', () => resolve(false))
    stream.once('open', () => resolve(true))
  })
  if (!(await done)) return
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line) yield line
}
