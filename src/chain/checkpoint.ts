import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Hash } from 'viem'
import type { BlockRef } from './events.js'

/** A remembered unfinalized block, with the transactions whose logs were emitted in it (for `reorg`). */
export type WindowBlock = BlockRef & { txHashes: Hash[] }

/** The last fully processed block and the unfinalized window behind it (oldest first). */
export type Checkpoint = {
  block: { number: bigint; hash: Hash }
  window: WindowBlock[]
}

/** Where the follower persists its progress. Saved after `onEvents` for a range has resolved. */
export type CheckpointStore = {
  load(): Promise<Checkpoint | null>
  save(checkpoint: Checkpoint): Promise<void>
}

type CheckpointJson = {
  version: 1
  block: { number: string; hash: Hash }
  window: { number: string; hash: Hash; parentHash: Hash; txHashes: Hash[] }[]
}

/** Serializes a checkpoint (bigints as decimal strings). */
export function checkpointToJson(checkpoint: Checkpoint): string {
  const json: CheckpointJson = {
    version: 1,
    block: { number: checkpoint.block.number.toString(), hash: checkpoint.block.hash },
    window: checkpoint.window.map((b) => ({ ...b, number: b.number.toString() })),
  }
  return JSON.stringify(json)
}

/** Parses a checkpoint written by `checkpointToJson` (numbers may be strings or numbers). */
export function checkpointFromJson(text: string): Checkpoint {
  const json = JSON.parse(text) as CheckpointJson
  if (typeof json?.block?.hash !== 'string' || !Array.isArray(json.window)) throw new Error('malformed checkpoint')
  return {
    block: { number: BigInt(json.block.number), hash: json.block.hash },
    window: json.window.map((b) => ({ ...b, number: BigInt(b.number), txHashes: b.txHashes ?? [] })),
  }
}

/**
 * A checkpoint in a JSON file, replaced atomically (write a temporary file, then rename).
 *
 * @example
 * const checkpoint = createFileCheckpoint('.data/chain-checkpoint.json')
 */
export function createFileCheckpoint(path: string): CheckpointStore {
  let serial = 0
  return {
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
      return checkpointFromJson(text)
    },
    async save(checkpoint) {
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.${serial++}.tmp`
      await writeFile(tmp, checkpointToJson(checkpoint))
      await rename(tmp, path)
    },
  }
}

/** A checkpoint kept in memory (tests, or a process that always starts from `startBlock`). */
export function createMemoryCheckpoint(initial: Checkpoint | null = null): CheckpointStore & { current: Checkpoint | null } {
  const store = {
    current: initial,
    load: async () => store.current,
    save: async (checkpoint: Checkpoint) => {
      store.current = checkpoint
    },
  }
  return store
}
