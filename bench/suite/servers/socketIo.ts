/**
 * Server under test: Socket.IO 4 (`socket.io`), WebSocket transport only, written the way its
 * documentation suggests: clients `emit('join', rooms, ack)`, the server `socket.join`s them, and
 * each message is `io.to(room).emit('data', payload)` (Socket.IO encodes it once per emit and
 * pre-frames it for every socket of the room).
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { runServer } from '../serverKit.js'
import { roomsOfItem } from '../workload.js'

const http = createServer()
const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false })
io.on('connection', (socket) => {
  socket.on('join', (rooms: string[], ack?: () => void) => {
    void socket.join(rooms)
    ack?.()
  })
})
const roomsNow = io.of('/').adapter.rooms

runServer({
  start: () => new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port))),
  connections: () => io.engine.clientsCount,
  slowClosed: () => 0,
  publishTrade(item) {
    io.to('trades:*').emit('data', { type: 'data', channel: 'trades', data: { trades: [item] }, seq: item.k })
  },
  publishBlock(block) {
    for (const channel of ['trades', 'prices', 'alerts'] as const) {
      const byRoom = new Map<string, object[]>()
      for (const item of block[channel]) {
        for (const room of roomsOfItem(channel, item as { tokenAddress: string; trader?: string })) {
          if (!roomsNow.has(room)) continue
          const list = byRoom.get(room)
          if (list) list.push(item)
          else byRoom.set(room, [item])
        }
      }
      const k = block[channel][0]?.k ?? 0
      for (const [room, items] of byRoom) io.to(room).emit('data', { type: 'data', channel, data: { [channel]: items }, seq: k })
    }
  },
})
