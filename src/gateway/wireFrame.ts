/**
 * Server WebSocket text frames built once and written as they are to every connection that
 * negotiated no extension (RFC 6455 §5.2: FIN, opcode 1, no mask; the header is the same for every
 * client, so the whole frame is). `ws.send` builds a header per client and writes it and the payload
 * separately; a shared frame is one write of one buffer per client.
 */

/** Header size of an unmasked frame carrying `length` payload bytes. */
function headerSize(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10
}

function writeHeader(target: Buffer, length: number): void {
  target[0] = 0x81 // FIN, text
  if (length < 126) target[1] = length
  else if (length < 65_536) {
    target[1] = 126
    target.writeUInt16BE(length, 2)
  } else {
    target[1] = 127
    target.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    target.writeUInt32BE(length >>> 0, 6)
  }
}

/** A text message's frame (`wire`) and its payload (`payload`, a view of the same memory). */
export type TextFrame = { wire: Buffer; payload: Buffer }

/** A frame for `length` payload bytes, its header written: the payload goes from `offset` on. */
export function allocFrame(length: number): { wire: Buffer; offset: number } {
  const offset = headerSize(length)
  const wire = Buffer.allocUnsafe(offset + length)
  writeHeader(wire, length)
  return { wire, offset }
}

/**
 * @example
 * const { wire, payload } = textFrame('{"type":"pong"}') // wire: <81 0f 7b 22 …>, payload: <7b 22 …>
 */
export function textFrame(text: string): TextFrame {
  const { wire, offset } = allocFrame(Buffer.byteLength(text))
  wire.write(text, offset)
  return { wire, payload: wire.subarray(offset) }
}

/** The frame of a payload that is already bytes (copied once). */
export function framePayload(payload: Buffer): Buffer {
  const { wire, offset } = allocFrame(payload.length)
  payload.copy(wire, offset)
  return wire
}
