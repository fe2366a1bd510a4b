import { describe, expect, it } from 'vitest'
import { createLruCache } from './lruCache.js'
import { createRecentLogs } from './recentLogs.js'

const tx = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const

describe('lru cache', () => {
  it('forgets the least recently used entry past its size', () => {
    const cache = createLruCache<string, number | null>(2)
    cache.set('a', 1)
    cache.set('b', null)
    cache.get('a')
    cache.set('c', 3)
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.size]).toEqual([true, false, true, 2])
    expect(cache.get('b')).toBeUndefined()
  })
})

describe('recent logs', () => {
  it('remembers (txHash, logIndex) pairs, case-insensitively, up to a number of transactions', () => {
    const recent = createRecentLogs(2)
    recent.add(tx(1), 0)
    recent.add(tx(1), 3)
    recent.add(tx(2), 0)
    expect([recent.has(tx(1), 0), recent.has(tx(1), 3), recent.has(tx(1), 1)]).toEqual([true, true, false])
    expect(recent.has(tx(1).toUpperCase().replace('0X', '0x') as `0x${string}`, 0)).toBe(true)
    recent.add(tx(3), 0)
    expect(recent.has(tx(2), 0)).toBe(false) // tx(1) was used more recently
  })

  it('forgets a transaction whose block was reorged out', () => {
    const recent = createRecentLogs(10)
    recent.add(tx(1), 0)
    recent.forget(tx(1))
    expect(recent.has(tx(1), 0)).toBe(false)
  })
})
