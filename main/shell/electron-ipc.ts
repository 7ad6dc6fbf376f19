/**
 * Binds the contract to Electron IPC: one `ipcMain.handle` per named request, each
 * refusing callers that are not the main frame of the kiosk window showing our own
 * origin, then handing the raw payload to `dispatchRequest` (the one validation point).
 * Snapshots are pushed to that window only, and only while it shows our origin.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { REQUEST_NAMES, SNAPSHOT_CHANNEL, ipcChannel, type KioskSnapshot, type Result } from '../../preload/contract.ts';
import type { KioskService } from '../core/kiosk-service.ts';
import { dispatchRequest } from './dispatch.ts';
import { showsRenderer } from './electron-window.ts';
import { isTrustedSender, type FrameIdentity } from './kiosk-policy.ts';

export interface KioskIpcOptions {
  service: KioskService;
  /** The kiosk window we created; calls from anything else are refused. */
  window: BrowserWindow;
  log: (line: string) => void;
}

const FORBIDDEN: Result<never> = {
  ok: false,
  error: { kind: 'forbidden', message: 'This request did not come from the kiosk screen.' },
};

/** Register the handlers and the snapshot push; returns a function that removes them. */
export function bindKioskIpc(options: KioskIpcOptions): () => void {
  const { service, window, log } = options;
  const contents = window.webContents;

  const trusted = (event: IpcMainInvokeEvent): boolean => {
    if (window.isDestroyed() || event.sender !== contents) return false;
    // Read the main frame now, not at bind time: a crash-reload gives it a new process.
    return isTrustedSender(identify(event.senderFrame), identify(contents.mainFrame));
  };

  for (const name of REQUEST_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<Result<unknown>> => {
      if (!trusted(event)) {
        log(`refused IPC ${name} from a frame that is not the kiosk window`);
        return FORBIDDEN;
      }
      if (args.length > 1) {
        return { ok: false, error: { kind: 'invalid-request', message: 'one argument expected' } };
      }
      return dispatchRequest(service, name, args[0], log);
    });
  }

  const unsubscribe = service.onSnapshot((snapshot: KioskSnapshot) => {
    if (!window.isDestroyed() && showsRenderer(contents)) contents.send(SNAPSHOT_CHANNEL, snapshot);
  });

  return () => {
    unsubscribe();
    for (const name of REQUEST_NAMES) ipcMain.removeHandler(ipcChannel(name));
  };
}

/** A frame's identity for the policy check; null when the frame is gone or disposed. */
function identify(frame: WebFrameMain | null | undefined): FrameIdentity | null {
  if (!frame) return null;
  try {
    if (frame.isDestroyed() || frame.detached) return null;
    return { processId: frame.processId, routingId: frame.routingId, url: frame.url, isMainFrame: frame.parent === null };
  } catch {
    // Accessing a frame whose render frame was disposed throws.
    return null;
  }
}
