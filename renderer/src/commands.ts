import type { RequestInput, RequestName } from '../../preload/contract.ts';

/**
 * What screens may ask main to do: one named method per request (never a generic
 * invoke). Each sends the request; App shows the answer (new snapshot or error).
 */
export type Commands = {
  [M in Exclude<RequestName, 'getSnapshot'>]: (input: RequestInput<M>) => void;
};

export type Send = <M extends RequestName>(method: M, input: RequestInput<M>) => void;

export function makeCommands(send: Send): Commands {
  return {
    submitPin: (input) => send('submitPin', input),
    cancelPin: (input) => send('cancelPin', input),
    signOut: (input) => send('signOut', input),
    stillHere: (input) => send('stillHere', input),
    startDraw: (input) => send('startDraw', input),
    startReturn: (input) => send('startReturn', input),
    recordCondition: (input) => send('recordCondition', input),
    dismiss: (input) => send('dismiss', input),
    demoTapCard: (input) => send('demoTapCard', input),
    demoScanTag: (input) => send('demoScanTag', input),
    demoDoor: (input) => send('demoDoor', input),
  };
}
