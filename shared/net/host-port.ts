/** A host and port, the host a name or an IP address (IPv6 with or without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** Where to reach a server bound to `host` from the same machine: a wildcard bind (0.0.0.0, ::) through loopback. */
export function localHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

/** "host:port", with an IPv6 host in brackets ("[::1]:8080"), as URLs and people write it. */
export function hostPort(address: HostPort): string {
  const host = address.host.includes(':') && !address.host.startsWith('[') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
