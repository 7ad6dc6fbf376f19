/**
 * A simulator that can run on its own (`npm run sim -- <name> ...`) for demos and site
 * acceptance: it opens its end of a real transport (a pty path, a TCP port), plays the
 * device, and stops cleanly when asked.
 */
export interface SimCommand {
  /** What follows `npm run sim --`, e.g. "kerong", "modbus", "scanner". */
  name: string;
  /** One line per option, shown by `npm run sim -- --help`. */
  usage: string;
  /**
   * Start with the given arguments (everything after the name). Resolves once the device
   * is listening, with a function that stops it. Throws an Error with a clear message on
   * bad arguments.
   */
  start(args: readonly string[], log: (line: string) => void): Promise<() => Promise<void>>;
}

/** Fault injection every simulator understands, parsed from common flags. */
export interface SimFaults {
  /** Split writes into random 1..n byte chunks, as USB-serial adapters deliver them. */
  fragment: boolean;
  /** Probability (0..1) of writing a few random garbage bytes before a reply. */
  garbage: number;
  /** Extra delay before every reply, in ms. */
  delayMs: number;
  /** Stay silent instead of replying. */
  noReply: boolean;
}

export const NO_FAULTS: SimFaults = { fragment: false, garbage: 0, delayMs: 0, noReply: false };
