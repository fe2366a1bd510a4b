import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { framePayload, textFrame } from './wireFrame.js'

// ws's own framing (not in its type declarations) is the reference.
const { Sender } = createRequire(import.meta.url)('ws') as { Sender: { frame(data: Buffer, options: object): Buffer[] } }
const wsFrame = (payload: Buffer) => Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }))

describe('wire frames', () => {
  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 70_000])('frames %i payload bytes as ws does', (size) => {
    const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2)
    const payload = Buffer.from(text)
    expect(payload.length).toBe(size)
    const { wire, payload: view } = textFrame(text)
    expect(wire.equals(wsFrame(payload))).toBe(true)
    expect(view.equals(payload)).toBe(true)
    expect(framePayload(payload).equals(wire)).toBe(true)
  })

  it('shares memory between the frame and its payload', () => {
    const { wire, payload } = textFrame('{"seq":1}')
    expect(payload.buffer).toBe(wire.buffer)
    expect(payload.byteOffset).toBe(wire.byteOffset + 2)
  })
})
