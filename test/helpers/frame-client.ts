/**
 * The bare framing of the Kafka protocol for tests of the TCP layer (KafkaServer, Connection)
 * with dispatchers that answer whatever bytes they like: size-prefixed frames out, whole
 * response frames collected in.
 */
import net from 'node:net';

/** `body` with its int32 size prefix. */
export function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

export interface FrameClient {
  socket: net.Socket;
  /** Response frames received so far, without their size prefix. */
  responses: Buffer[];
  closed: Promise<void>;
  /** Resolves once `n` responses have arrived in all. */
  next(n: number): Promise<Buffer[]>;
}

/** Connects to 127.0.0.1:`port`; the socket is pushed to `sockets` for the caller's cleanup. */
export function connectFrames(port: number, sockets: net.Socket[]): Promise<FrameClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    const responses: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const waiters: (() => void)[] = [];
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        responses.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        responses,
        closed,
        async next(n: number) {
          while (responses.length < n) await new Promise<void>((r) => waiters.push(r));
          return responses.slice(0, n);
        },
      }),
    );
    socket.once('error', reject);
  });
}
