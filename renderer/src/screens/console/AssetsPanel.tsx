import { useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { DrawOptionView, RequestInput } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { ChoiceGroup } from '../../components/ChoiceGroup.tsx';
import type { Choice } from '../../components/ChoiceGroup.tsx';
import { OutcomeMessages, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';
import { FormHint } from '../../components/FormHint.tsx';

type AssetAction = RequestInput<'assetAction'>['action'];

const ACTION_CHOICES: readonly Choice<AssetAction>[] = [
  { value: 'quarantine', label: 'Quarantine', icon: '⊘' },
  { value: 'maintenance', label: 'Maintenance', icon: '⚒' },
  { value: 'return-to-service', label: 'Return to service', icon: '✓' },
  { value: 'retire', label: 'Retire', icon: '✕' },
];

const ACTION_DONE: Record<AssetAction, string> = {
  quarantine: 'quarantined',
  maintenance: 'sent to maintenance',
  'return-to-service': 'returned to service',
  retire: 'retired',
};

/** Register new assets; quarantine, maintain, return to service or retire one by serial. */
export function AssetsPanel({ queries, assetTypes }: { queries: Queries; assetTypes: readonly DrawOptionView[] }) {
  return (
    <div className="console-body">
      <h2 className="console-panel-title">Assets</h2>
      <div className="assets-grid">
        <RegisterForm queries={queries} assetTypes={assetTypes} />
        <ActionForm queries={queries} />
      </div>
    </div>
  );
}

function RegisterForm({ queries, assetTypes }: { queries: Queries; assetTypes: readonly DrawOptionView[] }) {
  const [typeId, setTypeId] = useState<string>('');
  const [serial, setSerial] = useState('');
  const [tag, setTag] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const typeFieldId = useId();
  const serialId = useId();
  const tagId = useId();
  const tagHintId = useId();
  const hintId = useId();
  const serialField = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const assetTypeId = Number(typeId);
    if (!Number.isInteger(assetTypeId) || assetTypeId <= 0) return setHint('Choose the asset type.');
    if (serial.trim() === '') return setHint('Enter the serial number.');
    if (tag.trim() === '') return setHint('Enter or scan the tag.');
    setHint(null);
    setBusy(true);
    setOutcome(null);
    const result = await queries.registerAsset({ assetTypeId, serial: serial.trim(), tag: tag.trim() });
    if (!alive.current) return;
    setBusy(false);
    if (result.ok) {
      const name = assetTypes.find((t) => t.assetTypeId === assetTypeId)?.name ?? 'Asset';
      setOutcome({ ok: true, message: `Registered ${name} ${serial.trim()} (asset #${result.value.assetId}).` });
      setSerial('');
      setTag('');
      serialField.current?.focus();
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  return (
    <form className="panel assets-form assets-register" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="assets-register-title">
      <h3 id="assets-register-title" className="assets-form-title">
        Register an asset
      </h3>
      <div className="field">
        <label htmlFor={typeFieldId} className="field-label">
          Type
        </label>
        <select id={typeFieldId} className="text-input select-input" value={typeId} onChange={(event) => setTypeId(event.target.value)}>
          <option value="">Choose a type…</option>
          {assetTypes.map((t) => (
            <option key={t.assetTypeId} value={String(t.assetTypeId)}>
              {t.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={serialId} className="field-label">
          Serial number
        </label>
        <input id={serialId} ref={serialField} className="text-input" type="text" maxLength={40} autoComplete="off" value={serial} onChange={(event) => setSerial(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={tagId} className="field-label">
          Tag
        </label>
        <p id={tagHintId} className="field-hint">
          <span aria-hidden="true">⌁ </span>
          Scan tag: put the cursor here and scan the item's tag, or type it.
        </p>
        <input
          id={tagId}
          className="text-input"
          type="text"
          maxLength={64}
          autoComplete="off"
          aria-describedby={tagHintId}
          value={tag}
          onChange={(event) => setTag(event.target.value)}
        />
      </div>
      <FormHint hint={hint} className="assets-hint" id={hintId} />
      <button type="submit" className="btn btn-primary assets-register-submit" disabled={busy}>
        Register asset
      </button>
      <OutcomeMessages outcome={outcome} />
    </form>
  );
}

function ActionForm({ queries }: { queries: Queries }) {
  const [serial, setSerial] = useState('');
  const [action, setAction] = useState<AssetAction | null>(null);
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const serialId = useId();
  const reasonId = useId();
  const reasonHintId = useId();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const wanted = serial.trim();
    if (wanted === '') return setHint('Enter the serial number of the asset.');
    if (action === null) return setHint('Choose what to do with it.');
    if (reason.trim().length < 3) return setHint('A reason is required: say why, in a few words.');
    setHint(null);
    setBusy(true);
    setOutcome(null);
    const result = await queries.assetAction({ asset: wanted, action, reason: reason.trim() });
    if (!alive.current) return;
    setBusy(false);
    if (result.ok) {
      setOutcome({ ok: true, message: `${wanted} ${ACTION_DONE[action]}; its status is now ${result.value.status}.` });
      setReason('');
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  return (
    <form className="panel assets-form assets-action" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="assets-action-title">
      <h3 id="assets-action-title" className="assets-form-title">
        Change an asset's status
      </h3>
      <div className="field">
        <label htmlFor={serialId} className="field-label">
          Serial number
        </label>
        <input id={serialId} className="text-input" type="text" maxLength={40} autoComplete="off" value={serial} onChange={(event) => setSerial(event.target.value)} />
      </div>
      <ChoiceGroup legend="Action" choices={ACTION_CHOICES} value={action} onChange={setAction} className="choice-row" />
      <div className="field">
        <label htmlFor={reasonId} className="field-label">
          Reason (required)
        </label>
        <p id={reasonHintId} className="field-hint">
          Recorded in the audit trail.
        </p>
        <textarea
          id={reasonId}
          className="text-input"
          rows={2}
          maxLength={500}
          required
          aria-describedby={reasonHintId}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
      </div>
      <FormHint hint={hint} className="assets-hint" />
      <button type="submit" className="btn btn-primary assets-action-submit" disabled={busy}>
        Apply
      </button>
      <OutcomeMessages outcome={outcome} />
    </form>
  );
}
