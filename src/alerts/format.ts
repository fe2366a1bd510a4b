/**
 * Money as traders read it: `$2.5M`, `$52K`, `$950`, `$0.42`.
 *
 * @example
 * formatUsd(2_500_000) // '$2.5M'
 */
export function formatUsd(value: number): string {
  const abs = Math.abs(value)
  const sign = value < 0 ? '-' : ''
  if (abs >= 1e9) return `${sign}$${trim(abs / 1e9)}B`
  if (abs >= 1e6) return `${sign}$${trim(abs / 1e6)}M`
  if (abs >= 1e3) return `${sign}$${trim(abs / 1e3)}K`
  if (abs >= 1) return `${sign}$${trim(abs)}`
  return `${sign}$${Number(abs.toPrecision(2))}`
}

function trim(value: number): string {
  return String(Number(value.toFixed(value >= 100 ? 0 : 1)))
}

/** A percentage with one decimal: `32.1%`. */
export function formatPercent(value: number): string {
  return `${Number(value.toFixed(1))}%`
}

/** A window as `5m`, `1h`, `90s`. */
export function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`
  if (seconds % 60 === 0) return `${seconds / 60}m`
  return `${seconds}s`
}
