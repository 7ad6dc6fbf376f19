import type { KioskApi, KioskSnapshot, RequestInput, RequestName, ResponseValues } from '../../preload/contract.ts';

/** Requests main answers with the new snapshot. */
type SnapshotRequest = { [M in RequestName]: ResponseValues[M] extends KioskSnapshot ? M : never }[RequestName];

/** Requests whose answer is the new snapshot (App shows it, or the error). */
export type CommandName = Exclude<SnapshotRequest, 'getSnapshot'>;

/**
 * Requests whose answer is a value the screen uses itself (the hardware view, a
 * save or test result, frames, ...): the screen awaits the `Result` and shows it.
 */
export type QueryName = Exclude<RequestName, SnapshotRequest>;

/**
 * What screens may ask main to do: one named method per request (never a generic
 * invoke). Each sends the request; App shows the answer (new snapshot or error).
 */
export type Commands = {
  [M in CommandName]: (input: RequestInput<M>) => void;
};

/**
 * What screens may ask main for: one named, typed method per request, answering
 * with the request's own `Result` for the screen to show.
 */
export type Queries = Pick<KioskApi, QueryName>;

export type Send = <M extends CommandName>(method: M, input: RequestInput<M>) => void;

export function makeCommands(send: Send): Commands {
  return {
    submitPin: (input) => send('submitPin', input),
    cancelPin: (input) => send('cancelPin', input),
    choosePin: (input) => send('choosePin', input),
    submitSetupCode: (input) => send('submitSetupCode', input),
    openPeople: (input) => send('openPeople', input),
    startCardEnrolment: (input) => send('startCardEnrolment', input),
    cancelCardEnrolment: (input) => send('cancelCardEnrolment', input),
    signOut: (input) => send('signOut', input),
    stillHere: (input) => send('stillHere', input),
    startDraw: (input) => send('startDraw', input),
    startReturn: (input) => send('startReturn', input),
    recordCondition: (input) => send('recordCondition', input),
    dismiss: (input) => send('dismiss', input),
    openHardware: (input) => send('openHardware', input),
    requestOverride: (input) => send('requestOverride', input),
    submitOverridePin: (input) => send('submitOverridePin', input),
    confirmOverride: (input) => send('confirmOverride', input),
    cancelOverride: (input) => send('cancelOverride', input),
    openExceptions: (input) => send('openExceptions', input),
    openTraining: (input) => send('openTraining', input),
    openRules: (input) => send('openRules', input),
    openConsole: (input) => send('openConsole', input),
    startSwap: (input) => send('startSwap', input),
    openDeviceRefresh: (input) => send('openDeviceRefresh', input),
    collectRetired: (input) => send('collectRetired', input),
    openBookings: (input) => send('openBookings', input),
    stageBooking: (input) => send('stageBooking', input),
    startCollection: (input) => send('startCollection', input),
    openExhibitDeposit: (input) => send('openExhibitDeposit', input),
    depositExhibit: (input) => send('depositExhibit', input),
    openExhibits: (input) => send('openExhibits', input),
    startExhibitRetrieval: (input) => send('startExhibitRetrieval', input),
    submitWitnessPin: (input) => send('submitWitnessPin', input),
    checkSeal: (input) => send('checkSeal', input),
    cancelExhibitRetrieval: (input) => send('cancelExhibitRetrieval', input),
    demoTapCard: (input) => send('demoTapCard', input),
    demoScanTag: (input) => send('demoScanTag', input),
    demoDoor: (input) => send('demoDoor', input),
    keyboardScan: (input) => send('keyboardScan', input),
  };
}

/**
 * The query methods screens may await: the API's own named methods (each typed with
 * its input and `Result`), narrowed so a screen sees only queries, never snapshot
 * requests it should send through `Commands`, and never a generic invoke.
 */
export function makeQueries(api: KioskApi): Queries {
  return api;
}
