/**
 * Child process of the fan-out benchmark: opens N WebSocket clients, subscribes each to the trades
 * firehose and counts the data frames they receive (without parsing them), then reports to the parent.
 */
import WebSocket from 'ws'

const [url = '', countArg = '0', expectArg = '0'] = process.argv.slice(2)
const count = Number(countArg)
const expectedPerClient = Number(expectArg)
let received = 0
let done = 0
let opened = 0

for (let i = 0; i < count; i++) {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  let mine = 0
  ws.on('open', () => ws.send('{"type":"subscribe","channel":"trades","params":{"tokens":["*"]}}'))
  ws.on('message', (data: Buffer) => {
    if (data[9] === 0x64 /* {"type":"d… → data */) {
      received++
      if (++mine === expectedPerClient && ++done === count) process.send!({ type: 'done', received })
    } else if (data.includes('"subscribed"') && ++opened === count) process.send!({ type: 'ready' })
  })
  ws.on('error', (err) => process.send!({ type: 'error', message: String(err) }))
}
process.on('message', (m: { type: string }) => {
  if (m.type === 'exit') process.exit(0)
})
