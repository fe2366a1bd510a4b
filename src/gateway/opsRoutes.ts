import type { Metrics } from '../metrics/metrics.js'
import { ErrorCode } from '../protocol/errors.js'
import { sendHttpError, sendJsonResponse, type Route } from './http.js'

export type Readiness = 'ready' | 'starting' | 'draining'

/**
 * `GET /ready`: 200 `{"status":"ready"}` while the process serves, 503 `starting` or `draining`
 * otherwise (with `Retry-After`), for load balancers and orchestrators.
 *
 * @example
 * routes['/ready'] = readyRoute(() => gateway.readiness())
 */
export function readyRoute(readiness: () => Readiness): Route {
  return (_req, res) => {
    const status = readiness()
    if (status !== 'ready') res.setHeader('retry-after', '1')
    sendJsonResponse(res, status === 'ready' ? 200 : 503, { status })
  }
}

/**
 * `GET /metrics`: every series in Prometheus text; with `METRICS_TOKEN` set, only for
 * `Authorization: Bearer <token>` (else 401).
 *
 * @example
 * routes['/metrics'] = metricsRoute(metrics, config.METRICS_TOKEN)
 */
export function metricsRoute(metrics: Metrics, token: string | undefined): Route {
  return async (req, res) => {
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      res.setHeader('www-authenticate', 'Bearer realm="metrics"')
      return sendHttpError(res, 401, ErrorCode.unauthorized, 'metrics need Authorization: Bearer <METRICS_TOKEN>')
    }
    const text = await metrics.text()
    res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
}
