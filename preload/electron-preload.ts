/**
 * The Electron preload: exposes the contract to the page as one frozen object,
 * `window.armoury`, with one named method per request plus `onSnapshot`. The page never
 * sees `ipcRenderer`, channel names or IPC events; main validates every payload anyway.
 *
 * Sandboxed preloads run as CommonJS with only `electron` available; this file is bundled
 * (contract and zod inlined) to out/preload/electron-preload.cjs.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  REQUEST_NAMES,
  SNAPSHOT_CHANNEL,
  ipcChannel,
  type KioskApi,
  type KioskSnapshot,
  type RequestName,
} from './contract.ts';

type RequestMethods = Omit<KioskApi, 'onSnapshot'>;

function makeMethod<M extends RequestName>(name: M): RequestMethods[M] {
  const channel = ipcChannel(name);
  // Exactly one argument crosses: extra arguments from the page are dropped here.
  const method = (input: unknown) => ipcRenderer.invoke(channel, input);
  return method as RequestMethods[M];
}

function buildApi(): KioskApi {
  const methods: Partial<Record<RequestName, unknown>> = {};
  for (const name of REQUEST_NAMES) methods[name] = makeMethod(name);

  const onSnapshot = (listener: (snapshot: KioskSnapshot) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('onSnapshot needs a function');
    // Wrap so the IpcRendererEvent (with its sender) never reaches the page.
    const wrapped = (_event: IpcRendererEvent, snapshot: KioskSnapshot): void => listener(snapshot);
    ipcRenderer.on(SNAPSHOT_CHANNEL, wrapped);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(SNAPSHOT_CHANNEL, wrapped);
    };
  };

  return Object.freeze({ ...(methods as RequestMethods), onSnapshot });
}

contextBridge.exposeInMainWorld('armoury', buildApi());
