import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Address } from './address.js';
import { checkOneWayErrorHandler, Connection, type ConnectionOptions } from './connection/connection.js';
import type { OneWayErrorHandler } from './connection/incoming.js';
import { indexImplementations, type AnyImplementation } from './implementation.js';
import { resolveRpcSettings, type ResolvedRpcSettings, type RpcSettings } from './settings.js';
import { checkEncryptionSecret } from './transport/encryption.js';
import { listenOnPath } from './transport/listen-path.js';
import { acceptStream } from './transport/secure-server.js';

export interface ListenOptions {
  /** `{ path }` for a Unix socket, `{ host, port }` for TCP (`port: 0` picks a free port). */
  address: Address;
  /** The RPCs served to every connection. */
  implementations: readonly AnyImplementation[];
  /** Shared secret every client must prove it knows; see {@link ConnectionOptions.secret}. */
  secret?: string | Uint8Array;
  settings?: RpcSettings;
  /** How clients name this server in their errors. */
  description?: string;
  /** Called with each connection once its handshake has succeeded. */
  onConnection?: (connection: Connection) => void;
  /** Told when a one-way implementation fails, on any connection; see {@link ConnectionOptions.onOneWayError}. */
  onOneWayError?: OneWayErrorHandler;
}

/**
 * Accepts connections and serves implementations on each. Peers that fail the handshake (wrong secret, garbage,
 * silence) are dropped before any implementation runs.
 *
 * @example
 * const server = await Server.listen({ address: { host: '127.0.0.1', port: 0 }, implementations, secret });
 * console.log(server.address); // { host: '127.0.0.1', port: 41234 }
 */
export class Server {
  private readonly connections = new Set<Connection>();
  /** Sockets still in their handshake, with their connection once it exists. */
  private readonly pending = new Map<Socket, Connection | undefined>();

  private constructor(
    private readonly net: NetServer,
    /** Where the server listens; for TCP with `port: 0`, the port actually chosen. */
    readonly address: Address,
  ) {}

  static async listen(options: ListenOptions): Promise<Server> {
    const connectionOptions: ConnectionOptions = { implementations: options.implementations };
    if (options.secret !== undefined) connectionOptions.secret = options.secret;
    if (options.settings !== undefined) connectionOptions.settings = options.settings;
    if (options.description !== undefined) connectionOptions.description = options.description;
    if (options.onOneWayError !== undefined) connectionOptions.onOneWayError = options.onOneWayError;
    // Surface a bad implementation list, bad settings or a bad handler now, not on the first connection.
    indexImplementations(options.implementations);
    const settings = resolveRpcSettings(options.settings);
    checkOneWayErrorHandler(options.onOneWayError);
    checkEncryptionSecret(settings.encryption, options.secret, 'Server.listen');

    let server: Server | undefined;
    const net = createServer({ noDelay: true }, (socket) => {
      if (server === undefined) return void socket.destroy();
      server.accept(socket, connectionOptions, options.onConnection);
    });
    await new Promise<void>((resolve, reject) => {
      net.once('error', reject);
      net.once('listening', resolve);
      if ('path' in options.address) listenOnPath(net, options.address.path);
      else net.listen(options.address.port, options.address.host);
    });
    const bound = net.address();
    const address: Address =
      'path' in options.address || bound === null || typeof bound === 'string'
        ? options.address
        : { host: options.address.host, port: bound.port };
    server = new Server(net, address);
    return server;
  }

  private accept(socket: Socket, options: ConnectionOptions, onConnection: ListenOptions['onConnection']): void {
    this.pending.set(socket, undefined);
    socket.once('close', () => this.pending.delete(socket));
    const created = (connection: Connection): void => {
      if (this.pending.has(socket)) this.pending.set(socket, connection);
    };
    this.secure(socket, options)
      .then((stream) => Connection.open(stream, 'server', options, created))
      .then(
        (connection) => {
          this.pending.delete(socket);
          this.connections.add(connection);
          void connection.closed.then(() => this.connections.delete(connection));
          onConnection?.(connection);
        },
        () => {
          // The peer failed the handshake (or was refused); its socket is closed and nothing ran on its behalf.
        },
      );
  }

  /**
   * The accepted socket's stream, plain or encrypted as its client chose (see `acceptStream`). Rejects when the
   * client was refused or went away; its socket is then closed, or closing after it was told why.
   */
  private async secure(socket: Socket, options: ConnectionOptions): Promise<Duplex> {
    let settings: ResolvedRpcSettings;
    try {
      // Resolved per connection, as the connection's own settings are (COHORT_RPC_SETTINGS may have changed).
      settings = resolveRpcSettings(options.settings);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    const stream = await acceptStream(socket, {
      encryption: settings.encryption,
      secret: options.secret,
      timeoutMs: settings.handshakeTimeoutMs,
    });
    if (stream === undefined) throw new Error('the client was refused or went away before its handshake');
    return stream;
  }

  /** Live, authenticated connections. */
  get activeConnections(): readonly Connection[] {
    return [...this.connections];
  }

  /** `await using server = await Server.listen(…)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close('disposed');
  }

  /** Stops accepting and closes every connection with `reason`. Resolves once the listener is closed. */
  async close(reason = 'the server is closing'): Promise<void> {
    const closing = new Promise<void>((resolve) => this.net.close(() => resolve()));
    // A client may already consider a connection established while this side still waits for its menu: tell it
    // why, as for established connections, rather than reset the socket under it.
    const handshaking = [...this.pending].map(([socket, connection]) =>
      connection === undefined ? void socket.destroy() : connection.close(reason),
    );
    await Promise.all([...handshaking, ...[...this.connections].map((c) => c.close(reason))]);
    await closing;
  }
}
