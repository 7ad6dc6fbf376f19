import type { KioskApi } from '../../preload/contract.ts';

declare global {
  interface Window {
    /** Exposed (frozen) by the Electron preload; absent in the browser shell. */
    armoury?: KioskApi;
  }
}

export {};
