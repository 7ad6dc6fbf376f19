import type { LockerStatusView } from '../../../preload/contract.ts';

/**
 * The lockers are out of service: said at once, in words and with an icon (never colour
 * alone), before anyone touches a button. The reason is main's plain sentence for officers.
 */
export function OutOfService({ lockers, className }: { lockers: LockerStatusView; className?: string }) {
  if (lockers.inService) return null;
  return (
    <div className={className ? `out-of-service ${className}` : 'out-of-service'} role="alert">
      <p className="out-of-service-title">
        <span aria-hidden="true">⚠ </span>
        {lockers.name}: out of service
      </p>
      <p className="out-of-service-reason">{lockers.reason}</p>
    </div>
  );
}
