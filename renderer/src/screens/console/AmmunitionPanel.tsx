import { useCallback, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { AMMO_MOVEMENT_KINDS, type AmmoHolderView, type AmmoLotView, type AmmoMovementKind } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { ChoiceGroup, type Choice } from '../../components/ChoiceGroup.tsx';
import type { Outcome } from '../../components/OutcomeRegions.tsx';
import { TextField } from '../../components/TextField.tsx';
import { usePoll } from '../../components/hardware/usePoll.ts';
import { formatDay, plural } from '../../format.ts';
import { downloadFile, OutcomeMessages, useAlive } from './shared.tsx';

const REFRESH_MS = 5000;
const KIND_CHOICES: readonly Choice<AmmoMovementKind>[] = AMMO_MOVEMENT_KINDS.map((k) => ({ value: k, label: k.charAt(0).toUpperCase() + k.slice(1) }));
/** Movements that are an officer's rounds: the form asks whose. */
const HELD: ReadonlySet<AmmoMovementKind> = new Set(['issued', 'returned', 'expended']);

/**
 * Armourers: ammunition (PCD 994). Each lot with the rounds in the store and out with officers;
 * a movement recorded against a lot (rounds issued by hand at the counter, returned, expended,
 * delivered, transferred, destroyed, or a count); a lot recalled, with every officer holding
 * rounds of it listed and exported. Main keeps the ledger and refuses what cannot be.
 */
export function AmmunitionPanel({ queries }: { queries: Queries }) {
  const [lots, setLots] = useState<AmmoLotView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [recall, setRecall] = useState<{ lot: AmmoLotView; holders: AmmoHolderView[] } | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const { getAmmunition } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getAmmunition({});
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) return setProblem(`Could not load the ammunition: ${result.error.message}`);
    setProblem(null);
    setLots(result.value);
  }, [getAmmunition, alive]);
  usePoll(refresh, REFRESH_MS);

  async function recallLot(lot: AmmoLotView, reason: string): Promise<void> {
    const result = await queries.recallLot({ lotId: lot.id, reason });
    if (!alive.current) return;
    if (!result.ok) return setOutcome({ ok: false, message: result.error.message });
    setRecall(result.value);
    setOutcome({ ok: true, message: `Lot ${lot.lotNumber} recalled: ${plural(result.value.holders.length, 'officer holds', 'officers hold')} rounds of it.` });
    await refresh();
  }

  async function exportHolders(lot: AmmoLotView): Promise<void> {
    const result = await queries.exportLotHolders({ lotId: lot.id });
    if (!alive.current) return;
    if (!result.ok) return setOutcome({ ok: false, message: result.error.message });
    downloadFile(result.value);
  }

  return (
    <div className="console-body">
      <h2 id="console-ammo-title" className="console-panel-title">
        Ammunition
      </h2>
      <OutcomeMessages outcome={outcome} problem={problem} />
      {lots === null ? (
        <p className="muted">Loading…</p>
      ) : lots.length === 0 ? (
        <p className="muted">No ammunition lots on record yet: add the first below.</p>
      ) : (
        <ul className="order-list" aria-labelledby="console-ammo-title">
          {lots.map((lot) => (
            <LotItem key={lot.id} lot={lot} queries={queries} onRecall={(reason) => void recallLot(lot, reason)} onExport={() => void exportHolders(lot)} onMoved={(o) => {
              setOutcome(o);
              void refresh();
            }} />
          ))}
        </ul>
      )}
      {recall ? (
        <section aria-labelledby="console-recall-title" className="panel">
          <h3 id="console-recall-title">Holding rounds of recalled lot {recall.lot.lotNumber}</h3>
          {recall.holders.length === 0 ? (
            <p>Nobody holds rounds of it.</p>
          ) : (
            <ul aria-labelledby="console-recall-title">
              {recall.holders.map((h) => (
                <li key={h.collarNumber}>
                  {h.collarNumber} {h.name}: {plural(h.quantity, 'round', 'rounds')}
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      <NewLotForm queries={queries} onAdded={(o) => {
        setOutcome(o);
        void refresh();
      }} />
    </div>
  );
}

function LotItem({ lot, queries, onRecall, onExport, onMoved }: { lot: AmmoLotView; queries: Queries; onRecall: (reason: string) => void; onExport: () => void; onMoved: (outcome: Outcome) => void }) {
  const [kind, setKind] = useState<AmmoMovementKind | null>(null);
  const [quantity, setQuantity] = useState('');
  const [holder, setHolder] = useState('');
  const [reason, setReason] = useState('');
  const [recallReason, setRecallReason] = useState('');
  const name = `lot ${lot.lotNumber}`;

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (kind === null) return onMoved({ ok: false, message: 'Choose what happened to the rounds.' });
    const n = Number(quantity.trim());
    if (!Number.isInteger(n) || n < 0) return onMoved({ ok: false, message: kind === 'adjusted' ? 'Give the count in the store, as a whole number.' : 'Give how many rounds, as a whole number.' });
    const result = await queries.ammoMovement({
      lotId: lot.id,
      kind,
      quantity: kind === 'adjusted' ? 1 : n,
      holder: HELD.has(kind) ? holder.trim() : null,
      reason: reason.trim(),
      countedInStore: kind === 'adjusted' ? n : null,
    });
    onMoved(result.ok ? { ok: true, message: `${name}: ${kind} recorded; ${result.value.inStore} in the store, ${result.value.held} held.` } : { ok: false, message: result.error.message });
    if (result.ok) {
      setQuantity('');
      setReason('');
    }
  }

  return (
    <li className="order" data-lot-id={lot.id}>
      <h3 className="order-title">
        {lot.calibre} {lot.kind} · {lot.manufacturer} {name}
      </h3>
      <p className="order-state" data-state={lot.recalledAt === null ? 'in-use' : 'recalled'}>
        {lot.recalledAt === null ? '' : `⚠ Recalled: ${lot.recallReason ?? ''} · `}
        {lot.inStore} in the store · {lot.held} held by officers{lot.expiresOn ? ` · use by ${formatDay(lot.expiresOn)}` : ''}
      </p>
      <form className="refresh-form" noValidate aria-label={`Record a movement of ${name}`} onSubmit={(event) => void submit(event)}>
        <ChoiceGroup legend="What happened" choices={KIND_CHOICES} value={kind} onChange={setKind} className="refresh-choices refresh-choices-row" />
        <TextField label={kind === 'adjusted' ? 'Rounds counted in the store' : 'Rounds'} value={quantity} onChange={setQuantity} maxLength={7} />
        {kind !== null && HELD.has(kind) ? <TextField label="Officer (collar number)" value={holder} onChange={setHolder} maxLength={20} upperCase /> : null}
        <TextField label="Why (incident, range day, delivery note)" value={reason} onChange={setReason} maxLength={300} />
        <button type="submit" className="btn btn-primary">
          Record it<span className="visually-hidden"> ({name})</span>
        </button>
      </form>
      {lot.recalledAt === null ? (
        <form
          className="refresh-form"
          noValidate
          aria-label={`Recall ${name}`}
          onSubmit={(event) => {
            event.preventDefault();
            if (recallReason.trim().length >= 3) onRecall(recallReason.trim());
          }}
        >
          <TextField label="Recall reason" value={recallReason} onChange={setRecallReason} maxLength={300} />
          <button type="submit" className="btn btn-warning" disabled={recallReason.trim().length < 3}>
            Recall it<span className="visually-hidden"> ({name})</span>
          </button>
        </form>
      ) : null}
      <button type="button" className="btn btn-secondary" onClick={onExport}>
        Holders (CSV)<span className="visually-hidden"> of {name}</span>
      </button>
    </li>
  );
}

function NewLotForm({ queries, onAdded }: { queries: Queries; onAdded: (outcome: Outcome) => void }) {
  const [calibre, setCalibre] = useState('9mm');
  const [kind, setKind] = useState<'duty' | 'training'>('duty');
  const [manufacturer, setManufacturer] = useState('');
  const [lotNumber, setLotNumber] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [quantity, setQuantity] = useState('');

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const n = Number(quantity.trim());
    if (!Number.isInteger(n) || n < 1) return onAdded({ ok: false, message: 'Give the rounds delivered, as a whole number.' });
    if (expiresOn.trim() !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(expiresOn.trim())) return onAdded({ ok: false, message: 'Give the use-by date as yyyy-mm-dd, or leave it empty.' });
    const result = await queries.addAmmoLot({ calibre: calibre.trim(), kind, manufacturer: manufacturer.trim(), lotNumber: lotNumber.trim(), expiresOn: expiresOn.trim() === '' ? null : expiresOn.trim(), quantity: n });
    onAdded(result.ok ? { ok: true, message: `Lot ${result.value.lotNumber} added with ${result.value.inStore} rounds.` } : { ok: false, message: result.error.message });
    if (result.ok) {
      setLotNumber('');
      setQuantity('');
    }
  }

  return (
    <section aria-labelledby="console-ammo-new" className="panel">
      <h3 id="console-ammo-new">Add a lot (a delivery)</h3>
      <form className="refresh-form" noValidate aria-label="Add an ammunition lot" onSubmit={(event) => void submit(event)}>
        <TextField label="Calibre" value={calibre} onChange={setCalibre} maxLength={40} />
        <ChoiceGroup legend="Kind" choices={[{ value: 'duty', label: 'Duty' }, { value: 'training', label: 'Training' }]} value={kind} onChange={setKind} className="refresh-choices refresh-choices-row" />
        <TextField label="Manufacturer" value={manufacturer} onChange={setManufacturer} maxLength={80} />
        <TextField label="Lot number" value={lotNumber} onChange={setLotNumber} maxLength={60} upperCase />
        <TextField label="Use by (yyyy-mm-dd, optional)" value={expiresOn} onChange={setExpiresOn} maxLength={10} />
        <TextField label="Rounds delivered" value={quantity} onChange={setQuantity} maxLength={7} />
        <button type="submit" className="btn btn-primary">
          Add the lot
        </button>
      </form>
    </section>
  );
}
