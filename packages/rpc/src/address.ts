/** Where a server listens: a Unix socket path, or a TCP host and port (`port: 0` picks a free one). */
export type Address = { path: string } | { host: string; port: number };

export function describeAddress(address: Address): string {
  return 'path' in address ? `unix:${address.path}` : `tcp:${address.host}:${address.port}`;
}
