import net from 'node:net';
import { freePort } from './postgres.ts';

export interface TcpProxy {
  port: number;
  /** Stops forwarding without closing anything: a dead link, as when a site's line drops. */
  cut(): void;
  /** New connections get through again; the ones that went dead stay dead, as after a real outage. */
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort` that a test or the bench can cut and restore. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let severed = false;
  const server = net.createServer((inbound) => {
    if (severed) {
      // A dead link: the connection is accepted and then nothing ever comes back.
      inbound.on('error', () => undefined);
      pairs.add([inbound, inbound]);
      return;
    }
    const outbound = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [inbound, outbound];
    pairs.add(pair);
    for (const socket of pair) socket.on('error', () => undefined);
    inbound.on('data', (chunk) => severed || outbound.write(chunk));
    outbound.on('data', (chunk) => severed || inbound.write(chunk));
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const destroyAll = () => {
    for (const pair of pairs) for (const socket of pair) socket.destroy();
    pairs.clear();
  };
  return {
    port,
    cut: () => {
      severed = true;
    },
    restore: () => {
      severed = false;
      destroyAll();
    },
    close: async () => {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
