import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Client } from './client.js'
import { HEARTBEAT_SLICES, startHeartbeat } from './heartbeat.js'

type Fake = Client & { pings: number; terminated: boolean }

function fakeClient(id: number): Fake {
  const client = {
    id: String(id),
    ip: '127.0.0.1',
    alive: true,
    pingedAt: 0,
    pings: 0,
    terminated: false,
    ws: {
      ping: () => void client.pings++,
      terminate: () => void (client.terminated = true),
    },
  }
  return client as unknown as Fake
}

const INTERVAL = 2000
const TICK = INTERVAL / HEARTBEAT_SLICES
const logger = pino({ level: 'silent' })

describe('heartbeat', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('pings a slice of the clients per tick and every client once per interval', () => {
    const clients = new Set(Array.from({ length: 100 }, (_, i) => fakeClient(i)))
    const stop = startHeartbeat(clients, INTERVAL, logger)
    vi.advanceTimersByTime(TICK)
    const pinged = () => [...clients].filter((c) => c.pings > 0).length
    expect(pinged()).toBe(100 / HEARTBEAT_SLICES)
    vi.advanceTimersByTime(TICK * (HEARTBEAT_SLICES - 1))
    expect([...clients].map((c) => c.pings)).toEqual(Array(100).fill(1))
    stop()
  })

  it('terminates a client that did not answer its previous ping and keeps one that did', () => {
    const silent = fakeClient(1)
    const answering = fakeClient(2)
    const clients = new Set([silent, answering])
    const terminated: Client[] = []
    const stop = startHeartbeat(clients, INTERVAL, logger, (c) => terminated.push(c))
    vi.advanceTimersByTime(INTERVAL)
    expect([silent.pings, answering.pings]).toEqual([1, 1])
    answering.alive = true // its pong
    vi.advanceTimersByTime(INTERVAL)
    expect(terminated).toEqual([silent])
    expect([silent.terminated, answering.terminated, answering.pings]).toEqual([true, false, 2])
    stop()
  })

  it('pings a client that joined during a round in the next round, and skips one that left', () => {
    const first = Array.from({ length: 40 }, (_, i) => fakeClient(i))
    const clients = new Set(first)
    const stop = startHeartbeat(clients, INTERVAL, logger)
    vi.advanceTimersByTime(TICK)
    const late = fakeClient(99)
    clients.add(late)
    const gone = first.at(-1)!
    clients.delete(gone)
    vi.advanceTimersByTime(INTERVAL - TICK)
    expect([late.pings, gone.pings]).toEqual([0, 0])
    for (const c of clients) c.alive = true
    vi.advanceTimersByTime(INTERVAL)
    expect(late.pings).toBe(1)
    expect(gone.pings).toBe(0)
    stop()
  })

  it('does not ping again within half an interval a client that clients leaving moved forward', () => {
    const clients = new Set(Array.from({ length: 40 }, (_, i) => fakeClient(i)))
    const last = [...clients].at(-1)!
    const stop = startHeartbeat(clients, INTERVAL, logger)
    vi.advanceTimersByTime(INTERVAL) // a whole round: the last client is pinged in the last tick
    expect(last.pings).toBe(1)
    last.alive = true
    for (const c of [...clients].slice(0, 39)) clients.delete(c) // it is now first in the next round
    vi.advanceTimersByTime(TICK)
    expect(last.pings).toBe(1)
    stop()
  })
})
