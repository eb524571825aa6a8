// GET /metrics of a `vaurien server`: Toxiproxy's proxy metrics (its `-proxy-metrics` names and
// labels, always on here) and vaurien's connection counter, in Prometheus text format, read
// from the proxies' counters at scrape time: the traffic path never touches this.
import type { ServerProxy } from './server-proxy.js';

const escape = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderMetrics(proxies: readonly ServerProxy[]): string {
  const received: string[] = [];
  const connections: string[] = [];
  for (const proxy of [...proxies].sort((a, b) => a.name.localeCompare(b.name))) {
    const traffic = proxy.traffic();
    const labels = (direction: string): string =>
      `direction="${direction}",proxy="${escape(proxy.name)}",listener="${escape(proxy.listen)}",upstream="${escape(proxy.upstream)}"`;
    // Bytes read from each side: upstream from the client, downstream from the backend.
    received.push(`toxiproxy_proxy_received_bytes_total{${labels('upstream')}} ${traffic.requestBytes}`);
    received.push(`toxiproxy_proxy_received_bytes_total{${labels('downstream')}} ${traffic.responseBytes}`);
    connections.push(`vaurien_connections_total{proxy="${escape(proxy.name)}"} ${traffic.connections}`);
  }
  return [
    '# HELP toxiproxy_proxy_received_bytes_total Bytes read by a proxy, by direction (upstream: from the client)',
    '# TYPE toxiproxy_proxy_received_bytes_total counter',
    ...received,
    '# HELP vaurien_connections_total Client connections a proxy accepted',
    '# TYPE vaurien_connections_total counter',
    ...connections,
    '',
  ].join('\n');
}
