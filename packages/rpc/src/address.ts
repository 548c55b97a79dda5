/** Where a server listens: a Unix socket path, or a TCP host and port (`port: 0` picks a free one). */
export type Address = { path: string } | { host: string; port: number };

/** `unix:/tmp/app.sock`, `unix:@name` (Linux's abstract namespace, whose names start with a NUL), `tcp:host:port`. */
export function describeAddress(address: Address): string {
  if ('path' in address) return `unix:${address.path.startsWith('\0') ? `@${address.path.slice(1)}` : address.path}`;
  return `tcp:${address.host}:${address.port}`;
}
