/** How long to wait before reconnect attempt `attempt` (0-based): exponential, capped, with ±25 % jitter. */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20))
  return Math.round(ceiling * (0.75 + random() * 0.5))
}

/** Close codes after which the server asks clients to reconnect at once: 1001 (going away), 1012 (service restart). */
export const reconnectAtOnce = new Set([1001, 1012])
