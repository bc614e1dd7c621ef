/**
 * Kafka's `listeners` / `advertised.listeners` syntax: a comma-separated list of
 * `NAME://host:port` (NAME is the security protocol or a listener name mapped to one;
 * only PLAINTEXT is served). An empty host binds every interface; IPv6 hosts are bracketed.
 */
export interface ListenerSpec {
  name: string;
  host: string;
  port: number;
}

export function parseListeners(value: string): ListenerSpec[] {
  const specs: ListenerSpec[] = [];
  for (const raw of value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(raw);
    if (m === null) throw new Error(`invalid listener "${raw}": expected NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`invalid listener "${raw}": port out of range`);
    let host = m[2]!;
    if (host.startsWith('[')) host = host.slice(1, -1);
    specs.push({ name: m[1]!.toUpperCase(), host, port });
  }
  if (specs.length === 0) throw new Error('no listeners configured');
  const names = new Set(specs.map((s) => s.name));
  if (names.size !== specs.length) throw new Error(`listener names must be unique: ${value}`);
  return specs;
}

export function formatListener(spec: ListenerSpec): string {
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `${spec.name}://${host}:${spec.port}`;
}
