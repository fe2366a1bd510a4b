import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFileCheckpoint, type Checkpoint } from './checkpoint.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpoint-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const h = (c: string) => `0x${c.repeat(64)}` as const
const checkpoint: Checkpoint = {
  block: { number: 12_345_678_901n, hash: h('b') },
  window: [
    { number: 12_345_678_900n, hash: h('a'), parentHash: h('9'), txHashes: [] },
    { number: 12_345_678_901n, hash: h('b'), parentHash: h('a'), txHashes: [h('c')] },
  ],
}

describe('file checkpoint', () => {
  it('loads null when there is no file yet', async () => {
    expect(await createFileCheckpoint(join(dir, 'none.json')).load()).toBeNull()
  })

  it('round-trips bigints as decimal strings, creating the directory', async () => {
    const path = join(dir, 'nested', 'cp.json')
    const store = createFileCheckpoint(path)
    await store.save(checkpoint)
    expect(await store.load()).toEqual(checkpoint)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, block: { number: '12345678901' } })
  })

  it('replaces the file atomically and leaves no temporary file behind', async () => {
    const path = join(dir, 'atomic.json')
    const store = createFileCheckpoint(path)
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save({ ...checkpoint, block: { ...checkpoint.block, number: BigInt(i) } })))
    expect(await readdir(dir)).not.toContainEqual(expect.stringMatching(/atomic\.json\..*tmp/))
    expect(typeof (await store.load())?.block.number).toBe('bigint')
  })

  it('accepts numbers as JSON numbers too', async () => {
    const path = join(dir, 'numbers.json')
    await writeFile(path, JSON.stringify({ block: { number: 7, hash: h('7') }, window: [{ number: 7, hash: h('7'), parentHash: h('6') }] }))
    expect(await createFileCheckpoint(path).load()).toEqual({
      block: { number: 7n, hash: h('7') },
      window: [{ number: 7n, hash: h('7'), parentHash: h('6'), txHashes: [] }],
    })
  })

  it('rejects a malformed file rather than starting over silently', async () => {
    const path = join(dir, 'bad.json')
    await writeFile(path, '{"block":')
    await expect(createFileCheckpoint(path).load()).rejects.toThrow()
  })
})
