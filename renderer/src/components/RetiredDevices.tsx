import type { ReactNode } from 'react';
import type { AssetStatus, DisposalView, RetiredDeviceView, SanitisationView } from '../../../preload/contract.ts';
import { codeToWords, formatFull } from '../screens/console/shared.tsx';

/** NIST SP 800-88 methods, in words an inspector would recognise. */
export const METHOD_TEXT: Record<SanitisationView['method'], { label: string; explain: string }> = {
  clear: { label: 'Clear', explain: 'overwritten with standard read/write commands' },
  purge: { label: 'Purge', explain: 'cryptographic or block erase; not recoverable in a lab' },
  destroy: { label: 'Destroy', explain: 'shredded, disintegrated or incinerated' },
};

export const OUTCOME_TEXT: Record<DisposalView['outcome'], { label: string; done: string }> = {
  redeploy: { label: 'Redeploy', done: 'Redeployed (back into service)' },
  recycle: { label: 'Recycle', done: 'Recycled' },
  destroy: { label: 'Destroy', done: 'Destroyed' },
  donate: { label: 'Donate', done: 'Donated' },
};

const STATUS_TEXT: Partial<Record<AssetStatus, { icon: string; text: string }>> = {
  'awaiting-sanitisation': { icon: '⊘', text: 'Awaiting sanitisation' },
  sanitised: { icon: '✓', text: 'Sanitised' },
  disposed: { icon: '■', text: 'Disposed of' },
  available: { icon: '↻', text: 'Back in service' },
};

function statusText(status: AssetStatus): { icon: string; text: string } {
  return STATUS_TEXT[status] ?? { icon: '•', text: codeToWords(status) };
}

type StepState = 'done' | 'failed' | 'todo';
const STEP_TEXT: Record<StepState, { icon: string; text: string }> = {
  done: { icon: '✓', text: 'Done' },
  failed: { icon: '✕', text: 'Failed' },
  todo: { icon: '○', text: 'Not yet' },
};

/**
 * Every retired device's path to disposal, step by step: handed in (when, by whom, which door),
 * collected by IT, sanitised (method, tool, operator, verification, certificate) and disposed of
 * (outcome, receiving organisation, certificate). Shared by IT's device refresh screen, which
 * adds the next step's controls through `actions`, and the armourer console, which only reads.
 */
export function RetiredDeviceList({
  devices,
  actions,
  labelledBy,
}: {
  devices: readonly RetiredDeviceView[];
  actions?: (device: RetiredDeviceView) => ReactNode;
  labelledBy: string;
}) {
  if (devices.length === 0) return <p className="muted retired-empty">No retired devices yet: none has been handed in by a swap.</p>;
  return (
    <ul className="retired-list" aria-labelledby={labelledBy}>
      {devices.map((device) => (
        <RetiredDevice key={device.assetId} device={device} actions={actions?.(device) ?? null} />
      ))}
    </ul>
  );
}

function RetiredDevice({ device, actions }: { device: RetiredDeviceView; actions: ReactNode }) {
  const name = `${device.typeName} ${device.serial}`;
  const status = statusText(device.status);
  const titleId = `retired-${device.assetId}-title`;
  const { sanitisation, disposal } = device;
  // Disposed of, or redeployed back into service: nothing is left to do.
  const finished = !(['awaiting-sanitisation', 'sanitised'] as readonly AssetStatus[]).includes(device.status);
  const sanitisationState: StepState = sanitisation === null ? 'todo' : sanitisation.verified ? 'done' : 'failed';
  return (
    <li className={`retired retired-${device.status}`} data-asset-id={device.assetId} data-status={device.status} aria-labelledby={titleId}>
      <div className="retired-head">
        <h3 id={titleId} className="retired-name" tabIndex={-1}>
          {name}
        </h3>
        <p className={`retired-status retired-status-${device.status}`}>
          <span aria-hidden="true">{status.icon} </span>
          {status.text}
        </p>
      </div>
      <p className="retired-meta">Tag {device.tag}</p>
      <p className="retired-next">
        <span aria-hidden="true">{finished ? '✓ ' : '→ '}</span>
        <span className="retired-next-label">{finished ? 'Path complete: ' : 'Next step: '}</span>
        {device.nextStep}
      </p>
      <ol className="retired-path" aria-label={`Path to disposal of ${name}`}>
        <PathStep title="Handed in" state={device.depositedAt !== null ? 'done' : 'todo'}>
          {device.depositedAt !== null ? (
            <p className="path-detail">
              {formatFull(device.depositedAt)} by {device.depositedBy ?? 'an officer'}
            </p>
          ) : null}
        </PathStep>
        <PathStep title="Collected by IT" state={device.collectedAt !== null ? 'done' : 'todo'}>
          {device.collectedAt !== null ? (
            <p className="path-detail">
              {formatFull(device.collectedAt)} by {device.collectedBy ?? 'IT'}
            </p>
          ) : device.door !== null ? (
            <p className="path-detail">Still behind door {device.door}</p>
          ) : null}
        </PathStep>
        <PathStep title="Sanitised (NIST SP 800-88)" state={sanitisationState}>
          {sanitisation ? (
            <dl className="path-facts">
              <Fact term="Method">
                {METHOD_TEXT[sanitisation.method].label}: {METHOD_TEXT[sanitisation.method].explain}
              </Fact>
              <Fact term="Tool">{sanitisation.tool}</Fact>
              <Fact term="Operator">{sanitisation.operator}</Fact>
              <Fact term="Verification">
                <span aria-hidden="true">{sanitisation.verified ? '✓ ' : '✕ '}</span>
                {sanitisation.verified ? 'Verified' : 'Failed: sanitise it again'}
              </Fact>
              <Fact term="Certificate">{sanitisation.certificateId}</Fact>
              <Fact term="Recorded">
                {formatFull(sanitisation.recordedAt)} by {sanitisation.recordedBy}
              </Fact>
            </dl>
          ) : null}
        </PathStep>
        <PathStep title="Disposed of" state={disposal ? 'done' : 'todo'}>
          {disposal ? (
            <dl className="path-facts">
              <Fact term="Outcome">{OUTCOME_TEXT[disposal.outcome].done}</Fact>
              {disposal.receivingOrganisation ? <Fact term="Receiving organisation">{disposal.receivingOrganisation}</Fact> : null}
              {disposal.certificate ? <Fact term="Certificate">{disposal.certificate}</Fact> : null}
              <Fact term="Recorded">
                {formatFull(disposal.recordedAt)} by {disposal.recordedBy}
              </Fact>
            </dl>
          ) : null}
        </PathStep>
      </ol>
      {actions ? <div className="retired-actions">{actions}</div> : null}
    </li>
  );
}

function PathStep({ title, state, children }: { title: string; state: StepState; children?: ReactNode }) {
  const text = STEP_TEXT[state];
  return (
    <li className={`path-step path-step-${state}`} data-step-state={state}>
      <span className="path-mark" aria-hidden="true">
        {text.icon}
      </span>
      <div className="path-body">
        <p className="path-title">
          {title}
          <span className="path-state">
            <span className="visually-hidden">: </span>
            {text.text}
          </span>
        </p>
        {children}
      </div>
    </li>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="path-fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
