// A man in the middle between a master and a worker: a TCP relay that records every byte each way and, on request,
// flips one bit of the next chunk it forwards, as an attacker on the path (or a bad link) would.
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';

export type Direction = 'up' | 'down';

export interface Relay {
  readonly address: { host: string; port: number };
  /** Everything relayed so far: `up` from the connecting side to the worker, `down` back. */
  bytes(direction: Direction): Buffer;
  /** The next chunk relayed that way has its last byte's lowest bit flipped (inside a TLS record's tag). */
  flipNext(direction: Direction): void;
  /** Sockets still open, both ends of every session (0 once everything relayed has closed). */
  openSockets(): number;
  close(): Promise<void>;
}

/** A relay listening on `host` (port chosen by the system) in front of `target`. */
export async function startRelay(host: string, target: { host: string; port: number }): Promise<Relay> {
  const recorded: Record<Direction, Buffer[]> = { up: [], down: [] };
  const flip: Record<Direction, boolean> = { up: false, down: false };
  const sockets = new Set<Socket>();
  const forward = (direction: Direction, from: Socket, to: Socket): void => {
    from.on('data', (chunk: Buffer) => {
      recorded[direction].push(Buffer.from(chunk));
      let out = chunk;
      if (flip[direction]) {
        flip[direction] = false;
        out = Buffer.from(chunk);
        out[out.length - 1]! ^= 1;
      }
      to.write(out);
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createServer((inbound) => {
    inbound.pause();
    const outbound = netConnect({ host: target.host, port: target.port });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    outbound.once('connect', () => inbound.resume());
    forward('up', inbound, outbound);
    forward('down', outbound, inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    address: { host, port },
    bytes: (direction) => Buffer.concat(recorded[direction]),
    flipNext: (direction) => {
      flip[direction] = true;
    },
    openSockets: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An IPv4 address of this machine that is not loopback (connections to it count as remote), if it has one. */
export function nonLoopbackAddress(): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}
