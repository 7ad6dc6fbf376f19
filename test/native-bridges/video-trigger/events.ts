import type { VideoEvent } from '../../../native-bridges/video-trigger/trigger.ts';
import { TriggerError } from '../../../native-bridges/video-trigger/trigger.ts';
import { expect } from 'vitest';

let counter = 0;

/** A valid event; ids are unique per call unless given. */
export function videoEvent(overrides: Partial<VideoEvent> = {}): VideoEvent {
  counter++;
  return {
    id: `evt-${process.pid}-${counter}`,
    kind: 'ISSUE',
    terminal: 'T1',
    asset: 'GLOCK-0042',
    officer: 'PC1234',
    camera: 'CAM-ARMOURY-1',
    at: '2025-03-01T10:15:00.000Z',
    ...overrides,
  };
}

export async function expectTriggerError(promise: Promise<unknown>, kind: TriggerError['kind']): Promise<TriggerError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a TriggerError of kind ${kind}, but it resolved`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TriggerError);
  if (!(error instanceof TriggerError)) throw error;
  expect(error.kind).toBe(kind);
  return error;
}
