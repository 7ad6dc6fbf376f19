import { useCallback, useRef, useState } from 'react';
import type { RetiredDeviceView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { RetiredDeviceList } from '../../components/RetiredDevices.tsx';
import { usePoll } from '../../components/hardware/usePoll.ts';
import { plural } from '../../format.ts';
import { OutcomeMessages, useAlive } from './shared.tsx';

const REFRESH_MS = 5000;

/** Armourers: every device retired by a swap and its path to disposal (IT records the steps). */
export function RetiredDevicesPanel({ queries }: { queries: Queries }) {
  const [devices, setDevices] = useState<RetiredDeviceView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const { getRetiredDevices } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getRetiredDevices({});
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) {
      setProblem(`Could not load the retired devices: ${result.error.message}`);
      return;
    }
    setProblem(null);
    setDevices(result.value);
  }, [getRetiredDevices, alive]);
  usePoll(refresh, REFRESH_MS);

  const waiting = devices?.filter((d) => d.status !== 'disposed').length ?? 0;
  return (
    <div className="console-body">
      <h2 id="console-retired-title" className="console-panel-title">
        Retired devices
      </h2>
      <p className="muted">
        {devices === null
          ? 'Loading…'
          : `${plural(devices.length, 'device', 'devices')} handed in by swaps · ${waiting} not yet disposed of. IT records each step on its device refresh screen.`}
      </p>
      <OutcomeMessages outcome={null} problem={problem} />
      {devices !== null ? <RetiredDeviceList devices={devices} labelledBy="console-retired-title" /> : null}
    </div>
  );
}
