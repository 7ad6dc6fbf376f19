import type { DeviceHealthView, DeviceState } from '../../../../preload/contract.ts';

const STATE: Record<DeviceState, { icon: string; text: string }> = {
  online: { icon: '✓', text: 'Online' },
  degraded: { icon: '⚠', text: 'Degraded' },
  offline: { icon: '✕', text: 'Offline' },
  connecting: { icon: '…', text: 'Connecting' },
};

/** Every device's health: label, state as icon and words, and its last error. */
export function DeviceHealthList({ devices }: { devices: DeviceHealthView[] }) {
  return (
    <section aria-labelledby="hw-devices-title" className="panel">
      <h2 id="hw-devices-title">Devices</h2>
      {devices.length === 0 ? (
        <p className="muted">No devices are configured.</p>
      ) : (
        <ul className="hw-devices">
          {devices.map((device) => {
            const state = STATE[device.state];
            return (
              <li key={device.id} className={`hw-device hw-device-${device.state}`} data-device={device.id} data-state={device.state}>
                <p className="hw-device-line">
                  <span className="hw-device-label">{device.label}</span>
                  <span className="visually-hidden">: </span>
                  <span className="hw-device-state">
                    <span aria-hidden="true">{state.icon} </span>
                    {state.text}
                  </span>
                </p>
                {device.lastError ? <p className="hw-device-error">Last error: {device.lastError}</p> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
