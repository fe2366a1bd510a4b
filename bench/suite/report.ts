/** The tables `npm run bench` prints (Markdown, ready for the README) and the ratios it records. */
import { BUSY_NEIGHBOUR_PERCENT, fmt, LARGE_BLOCK_TRADES, mb, SERVER_NAMES, type BlocksSummary, type ScenarioRecord, type ServerKind, type StepResult } from './scenarios.js'

const OURS = SERVER_NAMES.ours
const PEERS = [SERVER_NAMES.raw, SERVER_NAMES.sio]

type Metric = { label: string; value: (r: ScenarioRecord) => number | null | undefined; better: 'higher' | 'lower' }

/** The metrics compared per scenario (ours / peer). */
function metricsOf(name: string): Metric[] {
  if (name.startsWith('fanout')) {
    return [
      { label: 'rate (msg/s)', value: (r) => r['rate'] as number | null, better: 'higher' },
      { label: 'delivered msg/s', value: (r) => r.deliveredPerSec, better: 'higher' },
      { label: 'latency p99', value: (r) => r.latencyMs?.p99, better: 'lower' },
      { label: 'completion p99', value: (r) => r.completionMs?.p99, better: 'lower' },
      { label: 'server CPU %', value: (r) => r.serverCpuPercent, better: 'lower' },
    ]
  }
  if (name.startsWith('workload')) {
    return [
      { label: 'completion p50', value: (r) => r.completionMs?.p50, better: 'lower' },
      { label: 'completion p99', value: (r) => r.completionMs?.p99, better: 'lower' },
      { label: `completion p50, blocks ≥ ${LARGE_BLOCK_TRADES} trades`, value: (r) => (r as WorkloadRecord).largest?.completionMs.p50, better: 'lower' },
      { label: 'server CPU %', value: (r) => r.serverCpuPercent, better: 'lower' },
      { label: 'routing per block p50', value: (r) => (r as WorkloadRecord).routeMs?.p50, better: 'lower' },
      { label: 'server RSS', value: (r) => r.serverRssBytes, better: 'lower' },
    ]
  }
  if (name.startsWith('connect-storm')) {
    return [
      { label: 'seconds', value: (r) => r['seconds'] as number, better: 'lower' },
      { label: 'connects/s', value: (r) => r['connectsPerSec'] as number, better: 'higher' },
    ]
  }
  if (name.startsWith('idle-rss')) return [{ label: 'bytes per idle connection', value: (r) => r.rssPerConnectionBytes, better: 'lower' }]
  return []
}

/** A workload record's own figures: its median round's `BlocksSummary` spread into the record, and every round's. */
type WorkloadRecord = ScenarioRecord & Partial<Pick<BlocksSummary, 'largest' | 'gc' | 'routeMs' | 'messagesPerBlock' | 'bytesPerClientPerBlock' | 'clientCpuPercent'>> & { rounds?: { completionMs: { p99: number | null } }[] }

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100)

export type RatioRow = { scenario: string; metric: string; better: 'higher' | 'lower'; oursOverRaw: number | null; oursOverSocketIo: number | null }

export function ratioRows(records: ScenarioRecord[]): RatioRow[] {
  const rows: RatioRow[] = []
  for (const name of [...new Set(records.map((r) => r.name))]) {
    const of = (server: string) => records.find((r) => r.name === name && r.server === server)
    const ours = of(OURS)
    if (!ours) continue
    for (const m of metricsOf(name)) {
      rows.push({ scenario: name, metric: m.label, better: m.better, oursOverRaw: ratio(m.value(ours), of(PEERS[0]!) && m.value(of(PEERS[0]!)!)), oursOverSocketIo: ratio(m.value(ours), of(PEERS[1]!) && m.value(of(PEERS[1]!)!)) })
    }
  }
  return rows
}

function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '–' : String(v))
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n')
}

const x = (v: number | null) => (v === null ? '–' : `${v}×`)
const pair = (a: number | null | undefined, b: number | null | undefined, unit = '') => `${a ?? '–'} / ${b ?? '–'}${unit}`

function ratioTable(records: ScenarioRecord[], name: string): string {
  const rows = ratioRows(records).filter((r) => r.scenario === name)
  if (rows.length === 0) return ''
  return `\nratios (ours ÷ peer; ${rows.map((r) => `${r.metric}: ${r.better} is better`).join(', ')}):\n\n` + table(['', ...rows.map((r) => r.metric)], [[`ours / ${PEERS[0]}`, ...rows.map((r) => x(r.oursOverRaw))], [`ours / ${PEERS[1]}`, ...rows.map((r) => x(r.oursOverSocketIo))]])
}

function stepsTable(records: ScenarioRecord[]): string {
  const rates = [...new Set(records.flatMap((r) => (r['steps'] as StepResult[]).map((s) => s.rate)))].sort((a, b) => a - b)
  const cellOf = (r: ScenarioRecord, rate: number) => {
    const s = (r['steps'] as StepResult[]).find((t) => t.rate === rate)
    if (!s) return ''
    return `${fmt(s.deliveredPerSec)} (${Math.round(s.deliveryRatio * 100)} %), p99 ${s.latencyMs?.p99 ?? '–'} ms, CPU ${s.serverCpuPercent} %${s.slowClosed ? `, ${s.slowClosed} closed` : ''}${s.otherCpuPercent > BUSY_NEIGHBOUR_PERCENT ? ' †' : ''}`
  }
  return table(['msg/s', ...records.map((r) => `${r.server}: delivered/s, p99, CPU`)], rates.map((rate) => [rate, ...records.map((r) => cellOf(r, rate))]))
}

export function printTables(records: ScenarioRecord[], servers: ServerKind[]): void {
  const order = servers.map((s) => SERVER_NAMES[s])
  const byName = (name: string) => records.filter((r) => r.name === name).sort((a, b) => order.indexOf(a.server) - order.indexOf(b.server))
  const names = [...new Set(records.map((r) => r.name))]
  const out: string[] = []
  for (const name of names) {
    const rs = byName(name)
    if (name.startsWith('fanout')) {
      const latency = rs[0]?.['criterion'] && String(rs[0]['criterion']).includes('p99')
      out.push(`### ${name}: ${rs[0]?.connections ?? ''} clients on trades "*", ${rs[0]?.['bytesPerMessage'] ?? '?'}-byte messages — ${rs[0]?.['criterion'] ?? ''}`)
      out.push(
        table(
          ['server', latency ? 'highest rate, p99 ≤ 50 ms' : 'highest sustained rate', 'delivered msg/s', 'latency p50 / p99 / max (ms)', 'completion p50 / p99 (ms)', 'server CPU', 'clients CPU', 'server RSS', 'bytes/msg'],
          rs.map((r) => [
            `${r.server}${r['disturbed'] ? ' †' : ''}`,
            r['rate'] === null ? 'none' : `${fmt(r['rate'] as number)} msg/s`,
            fmt(r.deliveredPerSec),
            r.latencyMs ? `${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max}` : '–',
            pair(r.completionMs?.p50, r.completionMs?.p99),
            r.serverCpuPercent === null ? '–' : `${r.serverCpuPercent} %`,
            r['clientCpuPercent'] === null ? '–' : `${r['clientCpuPercent']} %`,
            `${mb(r.serverRssBytes)} MB`,
            r['bytesPerMessage'] as number,
          ]),
        ),
      )
      out.push(ratioTable(records, name))
      out.push('\nsteps:\n')
      out.push(stepsTable(rs))
    } else if (name.startsWith('workload')) {
      const r0 = rs[0]
      const rounds = (r0 as WorkloadRecord | undefined)?.rounds?.length ?? 1
      out.push(
        `### ${name}: ${r0?.connections} clients, realistic mix; ${r0?.['blocks']} measured blocks of ${JSON.stringify(r0?.['tradesPerBlock'])} trades + prices + alerts, one per second` +
          (rounds > 1 ? `; the median of ${rounds} rounds by completion p99` : ''),
      )
      out.push(
        table(
          ['server', 'completion p50 / p99 / max (ms)', 'completion p99 of each round (ms)', `blocks ≥ ${LARGE_BLOCK_TRADES} trades: completion p50 / max (ms)`, 'latency p50 / p99 (ms)', 'server CPU', 'routing per block p50 / max (ms)', 'server GC pauses: total / longest (ms)', 'clients CPU', 'server RSS', 'messages per block', 'bytes per client per block', 'slow-closed'],
          rs.map((record) => {
            const r = record as WorkloadRecord
            const c = r.completionMs as { p50: number | null; p99: number | null; max?: number | null }
            const large = r.largest?.completionMs
            return [
              `${r.server}${r['disturbed'] ? ' †' : ''}`,
              `${c.p50 ?? '–'} / ${c.p99 ?? '–'} / ${c.max ?? '–'}`,
              (r.rounds ?? []).map((x) => x.completionMs.p99 ?? '–').join(', '),
              `${large?.p50 ?? '–'} / ${large?.max ?? '–'}`,
              pair(r.latencyMs?.p50, r.latencyMs?.p99),
              `${r.serverCpuPercent} %`,
              r.routeMs ? `${r.routeMs.p50 ?? '–'} / ${r.routeMs.max ?? '–'}` : '–',
              r.gc ? `${r.gc.totalMs} / ${r.gc.maxMs}` : '–',
              `${r.clientCpuPercent} %`,
              `${mb(r.serverRssBytes)} MB`,
              fmt(r.messagesPerBlock),
              fmt(r.bytesPerClientPerBlock),
              r.slowClosed,
            ]
          }),
        ),
      )
      out.push(ratioTable(records, name))
    } else if (name.startsWith('connect-storm')) {
      out.push(`### ${name}: every connection opened at once, until subscribed`)
      out.push(
        table(
          ['server', 'connected', 'seconds', 'connects/s', 'failed', 'per connection p50 / p99 / max (ms)'],
          rs.map((r) => {
            const c = r['connectMs'] as { p50: number; p99: number; max: number }
            return [r.server, fmt(r.connections), r['seconds'] as number, fmt(r['connectsPerSec'] as number), `${r['failed']}${Object.keys(r['errors'] as object).length ? ` ${JSON.stringify(r['errors'])}` : ''}`, `${c.p50} / ${c.p99} / ${c.max}`]
          }),
        ),
      )
      out.push(ratioTable(records, name))
    } else if (name.startsWith('idle-rss')) {
      out.push(`### ${name}: server RSS with idle connections (after GC)`)
      out.push(table(['server', 'RSS, no connection', `RSS, ${rs[0]?.connections} idle`, 'per connection'], rs.map((r) => [r.server, `${mb(r['emptyRssBytes'] as number)} MB`, `${mb(r.serverRssBytes)} MB`, `${fmt(r.rssPerConnectionBytes)} bytes`])))
      out.push(ratioTable(records, name))
    } else {
      out.push(`### ${name}`)
      out.push(table(['server', 'connections', 'delivered msg/s', 'server RSS'], rs.map((r) => [r.server, fmt(r.connections), fmt(r.deliveredPerSec), `${mb(r.serverRssBytes)} MB`])))
    }
    out.push('')
  }
  if (records.some((r) => r['disturbed']) || records.some((r) => ((r['steps'] as StepResult[] | undefined) ?? []).some((s) => s.otherCpuPercent > BUSY_NEIGHBOUR_PERCENT))) {
    out.push(`† other processes on the machine used more than ${BUSY_NEIGHBOUR_PERCENT} % of a core during that measurement (repeated up to 3 times; the least disturbed attempt is shown): treat it with care.`)
  }
  console.log(`\n${out.join('\n')}`)
}
