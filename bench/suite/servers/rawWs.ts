/**
 * Server under test: the `ws` ceiling. A plain `ws` server with rooms and nothing else (no
 * protocol, no limits, no slow-consumer handling): each message is encoded once to a Buffer and
 * queued for every member of its room; each client's pending frames go out in ONE corked write per
 * event-loop turn (setImmediate), as our outbox does. Clients join rooms with `{"join":[…]}`.
 */
import { createServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { runServer } from '../serverKit.js'
import { dataFrame, roomsOfItem } from '../workload.js'

type Conn = { ws: WebSocket; socket: Duplex; pending: Buffer[]; rooms: string[] }

const http = createServer((_req, res) => res.writeHead(404).end())
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 64 * 1024 })
const rooms = new Map<string, Set<Conn>>()
const dirty = new Set<Conn>()
let scheduled = false
let connections = 0

function flush(): void {
  scheduled = false
  const list = [...dirty]
  dirty.clear()
  for (const c of list) {
    const frames = c.pending
    c.pending = []
    if (c.ws.readyState !== WebSocket.OPEN) continue
    c.socket.cork()
    for (const frame of frames) c.ws.send(frame, { binary: false })
    c.socket.uncork()
  }
}

function toRoom(room: string, frame: Buffer): void {
  const members = rooms.get(room)
  if (!members) return
  for (const c of members) {
    c.pending.push(frame)
    dirty.add(c)
  }
  if (!scheduled && members.size > 0) {
    scheduled = true
    setImmediate(flush)
  }
}

wss.on('connection', (ws, req) => {
  const conn: Conn = { ws, socket: req.socket, pending: [], rooms: [] }
  connections++
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { join?: string[] }
    for (const room of message.join ?? []) {
      let members = rooms.get(room)
      if (!members) rooms.set(room, (members = new Set()))
      members.add(conn)
      conn.rooms.push(room)
    }
    ws.send('{"type":"subscribed"}')
  })
  ws.on('error', () => {})
  ws.on('close', () => {
    connections--
    dirty.delete(conn)
    for (const room of conn.rooms) {
      const members = rooms.get(room)
      members?.delete(conn)
      if (members?.size === 0) rooms.delete(room)
    }
  })
})

runServer({
  start: () => new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port))),
  connections: () => connections,
  slowClosed: () => 0,
  publishTrade(item) {
    toRoom('trades:*', Buffer.from(dataFrame('trades', item.k, [JSON.stringify(item)])))
  },
  publishBlock(block) {
    for (const channel of ['trades', 'prices', 'alerts'] as const) {
      const byRoom = new Map<string, string[]>()
      for (const item of block[channel]) {
        const json = JSON.stringify(item)
        for (const room of roomsOfItem(channel, item as { tokenAddress: string; trader?: string })) {
          if (!rooms.has(room)) continue
          const list = byRoom.get(room)
          if (list) list.push(json)
          else byRoom.set(room, [json])
        }
      }
      const k = block[channel][0]?.k ?? 0
      for (const [room, items] of byRoom) toRoom(room, Buffer.from(dataFrame(channel, k, items)))
    }
  },
})
