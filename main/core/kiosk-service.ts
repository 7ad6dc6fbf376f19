import type { KioskSnapshot, RequestInput, RequestName, ResponseValues, Result } from '../../preload/contract.ts';

/**
 * What the shells need from the core: named requests (already validated against the
 * contract by the shell's dispatcher) and a stream of snapshots. Both shells bind to
 * this one interface, so the core never knows whether it sits behind Electron IPC or
 * the browser shell's WebSocket.
 */
export interface KioskService {
  request<M extends RequestName>(method: M, input: RequestInput<M>): Promise<Result<ResponseValues[M]>>;
  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void;
}
