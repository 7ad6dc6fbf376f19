import type { RequestInput } from '../../../../preload/contract.ts';

export type HardwareTest = RequestInput<'hardwareTest'>;

/** One test's outcome as the screen shows it: waiting, passed or failed (in words, not colour). */
export interface TestOutcome {
  state: 'waiting' | 'ok' | 'failed';
  message: string;
}

/** Runs a hardware test; `key` names the control that asked, `waiting` is shown meanwhile. */
export type RunTest = (key: string, test: HardwareTest, waiting: string) => void;

export const OUTCOME_ICON: Record<TestOutcome['state'], string> = {
  waiting: '…',
  ok: '✓',
  failed: '✕',
};

/** The words that carry the state for people who cannot tell the colours apart. */
export function outcomeText(outcome: TestOutcome): string {
  return outcome.state === 'failed' ? `Failed: ${outcome.message}` : outcome.message;
}
