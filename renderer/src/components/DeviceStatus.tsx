import type { DeviceHealthView, DeviceState } from '../../../preload/contract.ts';

const STATE_TEXT: Record<DeviceState, { icon: string; text: string }> = {
  online: { icon: '✓', text: 'online' },
  degraded: { icon: '⚠', text: 'degraded' },
  offline: { icon: '✕', text: 'offline' },
  connecting: { icon: '…', text: 'connecting' },
};

/** Each device's health as icon + words (never colour alone); the last error is its description. */
export function DeviceStatus({ devices }: { devices: DeviceHealthView[] }) {
  if (devices.length === 0) return null;
  return (
    <section className="devices" aria-label="Equipment status">
      <ul className="device-list">
        {devices.map((device) => {
          const state = STATE_TEXT[device.state];
          const errorId = `device-error-${device.id}`;
          return (
            <li
              key={device.id}
              className={`device device-${device.state}`}
              aria-describedby={device.lastError ? errorId : undefined}
              title={device.lastError ?? undefined}
            >
              <span className="device-icon" aria-hidden="true">
                {state.icon}
              </span>
              <span className="device-text">
                {device.label}: <span className="device-state">{state.text}</span>
              </span>
              {device.lastError ? (
                <span id={errorId} className="visually-hidden">
                  {`Last error: ${device.lastError}`}
                </span>
              ) : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
