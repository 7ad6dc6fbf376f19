import { useCallback, useEffect, useRef, useState } from 'react';
import type { HardwareView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { BankCommissioningPanel } from '../components/hardware/BankCommissioningPanel.tsx';
import { ConfigEditor } from '../components/hardware/ConfigEditor.tsx';
import { DeviceHealthList } from '../components/hardware/DeviceHealthList.tsx';
import { ExceptionsPanel } from '../components/hardware/ExceptionsPanel.tsx';
import { FrameLogPanel } from '../components/hardware/FrameLogPanel.tsx';
import { LockerBankPanel } from '../components/hardware/LockerBankPanel.tsx';
import { ReadersPanel } from '../components/hardware/ReadersPanel.tsx';
import { VideoPanel } from '../components/hardware/VideoPanel.tsx';
import { usePoll } from '../components/hardware/usePoll.ts';
import type { HardwareTest, RunTest, TestOutcome } from '../components/hardware/types.ts';
import { OUTCOME_ICON, outcomeText } from '../components/hardware/types.ts';

const REFRESH_MS = 2000;

/**
 * Site admins: the room's hardware. Device health, door and reader tests, the
 * configuration editor and a live frame log. Main checks the admin role on every call.
 */
export function HardwareScreen({ commands, queries }: { commands: Commands; queries: Queries }) {
  const [view, setView] = useState<HardwareView | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [results, setResults] = useState<Readonly<Record<string, TestOutcome>>>({});
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [last, setLast] = useState<TestOutcome | null>(null);
  const alive = useRef(true);
  const loads = useRef(0);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const { getHardware, hardwareTest, saveHardwareConfig, hardwareFrames } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getHardware({});
    // Answers can cross: only the newest request's answer is shown.
    if (!alive.current || ticket !== loads.current) return;
    if (result.ok) {
      setView(result.value);
      setLoadProblem(null);
    } else {
      setLoadProblem(result.error.message);
    }
  }, [getHardware]);
  usePoll(refresh, REFRESH_MS);

  const runTest = useCallback<RunTest>(
    (key: string, test: HardwareTest, waiting: string) => {
      const started: TestOutcome = { state: 'waiting', message: waiting };
      setPending((current) => new Set(current).add(key));
      setResults((current) => ({ ...current, [key]: started }));
      setLast(started);
      void hardwareTest(test).then((result) => {
        if (!alive.current) return;
        const outcome: TestOutcome = result.ok
          ? { state: result.value.ok ? 'ok' : 'failed', message: result.value.message }
          : { state: 'failed', message: result.error.message };
        setPending((current) => {
          const next = new Set(current);
          next.delete(key);
          return next;
        });
        setResults((current) => ({ ...current, [key]: outcome }));
        setLast(outcome);
        void refresh();
      });
    },
    [hardwareTest, refresh],
  );

  const save = useCallback((configJson: string) => saveHardwareConfig({ configJson }), [saveHardwareConfig]);

  return (
    <div className="screen screen-hardware">
      <div className="hw-head">
        <ScreenHeading className="screen-title hw-title">Hardware</ScreenHeading>
        <div className="hw-status" role="status" aria-live="polite" aria-label="Last test result">
          {last ? (
            <p className={`hw-status-text hw-result-${last.state}`}>
              <span className="hw-status-label">Last test: </span>
              <span aria-hidden="true">{OUTCOME_ICON[last.state]} </span>
              {outcomeText(last)}
            </p>
          ) : (
            <p className="hw-status-text muted">No test run yet.</p>
          )}
        </div>
        <button type="button" className="btn btn-secondary hw-back" onClick={() => commands.dismiss({})}>
          <span aria-hidden="true">← </span>
          Back
        </button>
      </div>

      {loadProblem ? (
        <p className="message message-warning">
          <span aria-hidden="true">⚠ </span>
          Could not refresh the hardware view: {loadProblem}
        </p>
      ) : null}

      {view ? (
        <div className="hw-grid">
          <div className="hw-col" role="region" aria-label="Devices and tests" tabIndex={0}>
            <BankCommissioningPanel view={view} queries={queries} onChanged={() => void refresh()} />
            <DeviceHealthList devices={view.devices} />
            <LockerBankPanel buses={view.buses} doors={view.doors} results={results} pending={pending} runTest={runTest} />
            <ReadersPanel results={results} pending={pending} runTest={runTest} />
            <VideoPanel policy={view.videoPolicy} triggers={view.triggers} results={results} pending={pending} runTest={runTest} />
            <ExceptionsPanel exceptions={view.exceptions} />
          </div>
          <div className="hw-col" role="region" aria-label="Configuration and frame log" tabIndex={0}>
            <ConfigEditor configJson={view.configJson} configLocation={view.configLocation} save={save} onSaved={() => void refresh()} />
            <FrameLogPanel hardwareFrames={hardwareFrames} />
          </div>
        </div>
      ) : loadProblem ? null : (
        <p className="muted">Loading the hardware view…</p>
      )}
    </div>
  );
}
