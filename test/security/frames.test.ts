import { deflateRawSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../support/server.js'
import { connect } from '../support/wsClient.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.stop()
  server = undefined
})

/** A text message of exactly `size` bytes that is valid JSON but not a valid message. */
const jsonOfSize = (size: number) => `{"type":"ping","pad":"${'x'.repeat(size - 24)}"}`

describe('frame size', () => {
  it('closes with 1009 on a message over the default 16 KiB', async () => {
    server = await startTestServer()
    const c = await connect(server.url)
    c.send(jsonOfSize(16 * 1024))
    expect(await c.next()).toMatchObject({ type: 'pong' })
    c.send(jsonOfSize(16 * 1024 + 1))
    expect((await c.closed).code).toBe(1009)
  })

  it('applies MAX_PAYLOAD_BYTES', async () => {
    server = await startTestServer({ MAX_PAYLOAD_BYTES: '1024' })
    const c = await connect(server.url)
    c.send(jsonOfSize(1024))
    expect(await c.next()).toMatchObject({ type: 'pong' })
    c.send(jsonOfSize(1025))
    expect((await c.closed).code).toBe(1009)
    expect(server.gateway.connections()).toBe(0)
  })
})

describe('frame kinds', () => {
  it('answers a binary frame with binary_not_supported and stays open', async () => {
    server = await startTestServer()
    const c = await connect(server.url)
    c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true })
    expect(await c.next()).toEqual({ type: 'error', code: 'binary_not_supported', message: expect.any(String) })
    c.send({ type: 'ping' })
    expect(await c.next()).toMatchObject({ type: 'pong' })
    await c.close()
  })

  it('closes with 1007 on a text frame that is not UTF-8', async () => {
    server = await startTestServer()
    const c = await connect(server.url)
    c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false })
    expect((await c.closed).code).toBe(1007)
  })
})

describe('permessage-deflate', () => {
  it('is not negotiated by default', async () => {
    server = await startTestServer()
    const c = await connect(server.url, { perMessageDeflate: true })
    expect(c.ws.extensions).toBe('')
    await c.close()
  })

  it('when enabled, bounds the decompressed size by MAX_PAYLOAD_BYTES (1009 on a compression bomb)', async () => {
    server = await startTestServer({ PER_MESSAGE_DEFLATE: 'true', MAX_PAYLOAD_BYTES: '16384' })
    const c = await connect(server.url, { perMessageDeflate: true })
    expect(c.ws.extensions).toContain('permessage-deflate')
    const small = jsonOfSize(10_000)
    c.send(small)
    expect(await c.next()).toMatchObject({ type: 'pong' })
    const bomb = jsonOfSize(1024 * 1024)
    expect(deflateRawSync(bomb).length).toBeLessThan(16384)
    c.send(bomb)
    expect((await c.closed).code).toBe(1009)
  })
})
