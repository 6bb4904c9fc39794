/** A host and port, the host a name or an IP address (IPv6 with or without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** "host:port", with an IPv6 host in brackets ("[::1]:8080"), as URLs and people write it. */
export function hostPort(address: HostPort): string {
  const host = address.host.includes(':') && !address.host.startsWith('[') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
