import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { DISPOSAL_OUTCOMES, SANITISATION_METHODS } from '../../../preload/contract.ts';
import type { DeviceRefreshView, RequestInput, RetiredDeviceView, ScreenView, SessionView, SwapOrderState, SwapOrderView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ChoiceGroup } from '../components/ChoiceGroup.tsx';
import type { Choice } from '../components/ChoiceGroup.tsx';
import { OutcomeRegions, type Outcome } from '../components/OutcomeRegions.tsx';
import { METHOD_TEXT, OUTCOME_TEXT, RetiredDeviceList } from '../components/RetiredDevices.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';
import { usePoll } from '../components/hardware/usePoll.ts';
import { formatDay, localDayFromNow, plural } from '../format.ts';
import { formatFull, useAlive } from './console/shared.tsx';
import { FormHint } from '../components/FormHint.tsx';
import { TextField } from '../components/TextField.tsx';

type RefreshView = Extract<ScreenView, { kind: 'device-refresh' }>;
type Method = RequestInput<'recordSanitisation'>['method'];
type DisposalOutcome = RequestInput<'recordDisposal'>['outcome'];

const REFRESH_MS = 5000;
/** A new order is usable for two weeks unless IT says otherwise. */
const DEFAULT_ORDER_DAYS = 14;
const REASON_MIN = 3;

const ORDER_STATE_TEXT: Record<SwapOrderState, { icon: string; text: string }> = {
  open: { icon: '●', text: 'Open: waiting for the officer' },
  deposited: { icon: '◐', text: 'Old device in: new one to collect' },
  completed: { icon: '✓', text: 'Completed' },
  cancelled: { icon: '✕', text: 'Cancelled' },
  expired: { icon: '◷', text: 'Expired' },
};

const METHOD_CHOICES: readonly Choice<Method>[] = SANITISATION_METHODS.map((method) => ({ value: method, label: `${METHOD_TEXT[method].label}: ${METHOD_TEXT[method].explain}` }));
const VERIFIED_CHOICES: readonly Choice<'passed' | 'failed'>[] = [
  { value: 'passed', label: 'Verified: it passed', icon: '✓' },
  { value: 'failed', label: 'Verification failed', icon: '✕' },
];
const OUTCOME_CHOICES: readonly Choice<DisposalOutcome>[] = DISPOSAL_OUTCOMES.map((outcome) => ({ value: outcome, label: OUTCOME_TEXT[outcome].label }));

/** What the disposal outcome needs besides itself: main refuses the same gaps, in the same words. */
const OUTCOME_NEEDS: Record<DisposalOutcome, { organisation: 'required' | 'optional' | 'none'; certificate: boolean; hint: string }> = {
  redeploy: { organisation: 'none', certificate: false, hint: 'Back into stock here, for another officer.' },
  recycle: { organisation: 'required', certificate: true, hint: 'Name the recycler and give its certificate number.' },
  destroy: { organisation: 'optional', certificate: true, hint: 'Give the destruction certificate number.' },
  donate: { organisation: 'required', certificate: true, hint: 'Name the school or charity and give the transfer certificate number.' },
};

type OpenForm = { assetId: number; kind: 'sanitise' | 'dispose' } | null;

/**
 * IT: the device refresh (PCD 977). Swap orders (ordered here, done by the officer at the
 * kiosk), and every retired device on its path to disposal with the next step's control:
 * collect it from its door, record its sanitisation, record its disposal. Main checks the
 * role and every transition; this screen asks and shows.
 */
export function DeviceRefreshScreen({ screen, session, commands, queries }: { screen: RefreshView; session: SessionView | null; commands: Commands; queries: Queries }) {
  const [view, setView] = useState<DeviceRefreshView | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [deviceOutcome, setDeviceOutcome] = useState<Outcome | null>(null);
  const [ordersOutcome, setOrdersOutcome] = useState<Outcome | null>(null);
  const [openForm, setOpenForm] = useState<OpenForm>(null);
  const [cancelling, setCancelling] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const loads = useRef(0);
  const { getDeviceRefresh, recordSanitisation, recordDisposal, cancelSwapOrder } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getDeviceRefresh({});
    // Answers can cross (a poll during a save): only the newest is shown.
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) {
      setLoadProblem(`Could not load the device refresh: ${result.error.message}`);
      return;
    }
    setLoadProblem(null);
    setView(result.value);
  }, [getDeviceRefresh, alive]);
  usePoll(refresh, REFRESH_MS);

  /** The form the person was in is gone once saved: focus goes to the device it was about. */
  function focusDevice(assetId: number): void {
    window.setTimeout(() => document.querySelector<HTMLElement>(`[data-asset-id="${assetId}"] .retired-name`)?.focus(), 0);
  }

  /** Send one step of a retired device's path; on success the form closes and focus returns to the device. */
  async function recordStep(device: RetiredDeviceView, send: () => Promise<{ ok: true } | { ok: false; error: { message: string } }>, done: () => Outcome): Promise<void> {
    setBusy(true);
    setDeviceOutcome(null);
    const result = await send();
    if (!alive.current) return;
    setBusy(false);
    if (!result.ok) {
      setDeviceOutcome({ ok: false, message: result.error.message });
      return;
    }
    setOpenForm(null);
    setDeviceOutcome(done());
    await refresh();
    focusDevice(device.assetId);
  }

  function sanitise(device: RetiredDeviceView, input: Omit<RequestInput<'recordSanitisation'>, 'assetId'>): Promise<void> {
    const name = `${device.typeName} ${device.serial}`;
    return recordStep(
      device,
      () => recordSanitisation({ assetId: device.assetId, ...input }),
      () =>
        input.verified
          ? { ok: true, message: `Sanitisation of ${name} recorded (${METHOD_TEXT[input.method].label}, certificate ${input.certificateId}). Next: record its disposal.` }
          : { ok: false, message: `Failed verification recorded for ${name}: sanitise it again before it can be disposed of.` },
    );
  }

  function dispose(device: RetiredDeviceView, input: Omit<RequestInput<'recordDisposal'>, 'assetId'>): Promise<void> {
    return recordStep(
      device,
      () => recordDisposal({ assetId: device.assetId, ...input }),
      () => ({ ok: true, message: `${device.typeName} ${device.serial}: ${OUTCOME_TEXT[input.outcome].done.toLowerCase()}, recorded.` }),
    );
  }

  async function cancelOrder(order: SwapOrderView, reason: string): Promise<void> {
    setBusy(true);
    setOrdersOutcome(null);
    const result = await cancelSwapOrder({ orderId: order.id, reason });
    if (!alive.current) return;
    setBusy(false);
    if (!result.ok) {
      setOrdersOutcome({ ok: false, message: result.error.message });
      return;
    }
    setCancelling(null);
    setOrdersOutcome({ ok: true, message: `Swap order #${order.id} for ${order.collarNumber} cancelled.` });
    await refresh();
    window.setTimeout(() => document.querySelector<HTMLElement>(`[data-order-id="${order.id}"] .order-title`)?.focus(), 0);
  }

  const operator = session ? `${session.collarNumber} ${session.displayName}` : '';

  function deviceActions(device: RetiredDeviceView) {
    const name = `${device.typeName} ${device.serial}`;
    const formOpen = openForm?.assetId === device.assetId ? openForm.kind : null;
    if (device.status === 'awaiting-sanitisation' && device.door !== null) {
      return (
        <button type="button" className="btn btn-primary retired-collect" disabled={busy} onClick={() => commands.collectRetired({ assetId: device.assetId })}>
          <span aria-hidden="true">⇱ </span>
          Collect it from door {device.door}
          <span className="visually-hidden"> ({name})</span>
        </button>
      );
    }
    if (device.status === 'awaiting-sanitisation') {
      return formOpen === 'sanitise' ? (
        <SanitiseForm name={name} operator={operator} busy={busy} onSubmit={(input) => void sanitise(device, input)} onCancel={() => setOpenForm(null)} />
      ) : (
        <button type="button" className="btn btn-primary retired-open-form" onClick={() => setOpenForm({ assetId: device.assetId, kind: 'sanitise' })}>
          Record sanitisation…<span className="visually-hidden"> ({name})</span>
        </button>
      );
    }
    if (device.status === 'sanitised') {
      return formOpen === 'dispose' ? (
        <DisposeForm name={name} busy={busy} onSubmit={(input) => void dispose(device, input)} onCancel={() => setOpenForm(null)} />
      ) : (
        <button type="button" className="btn btn-primary retired-open-form" onClick={() => setOpenForm({ assetId: device.assetId, kind: 'dispose' })}>
          Record disposal…<span className="visually-hidden"> ({name})</span>
        </button>
      );
    }
    return null;
  }

  const liveOrders = view?.orders.filter((o) => o.state === 'open' || o.state === 'deposited').length ?? 0;
  return (
    <div className="screen screen-refresh">
      <PageHead title="Device refresh" onBack={() => commands.dismiss({})} />
      <p className="page-intro">
        One-for-one swaps: the officer hands in the old device at the kiosk before the new one is released. Each old device is then
        collected, sanitised and disposed of, and every step is recorded here.
      </p>
      <ScreenMessage message={screen.message} className="refresh-message" />
      <OutcomeRegions outcome={null} problem={loadProblem} classPrefix="refresh" />

      <div className="refresh-grid">
        <section aria-labelledby="refresh-devices-title" className="refresh-col">
          <h2 id="refresh-devices-title" className="refresh-section-title">
            Retired devices
          </h2>
          <OutcomeRegions outcome={deviceOutcome} problem={null} classPrefix="refresh" />
          {view === null ? <p className="muted">Loading…</p> : <RetiredDeviceList devices={view.devices} actions={deviceActions} labelledBy="refresh-devices-title" />}
        </section>

        <div className="refresh-col">
          <section aria-labelledby="refresh-order-title" className="panel refresh-panel">
            <h2 id="refresh-order-title">Order a swap</h2>
            {view === null ? (
              <p className="muted">Loading…</p>
            ) : (
              <OrderForm
                models={view.models}
                createSwapOrder={queries.createSwapOrder}
                onCreated={() => {
                  setOrdersOutcome(null);
                  void refresh();
                }}
              />
            )}
          </section>

          <section aria-labelledby="refresh-orders-title" className="panel refresh-panel">
            <h2 id="refresh-orders-title">Swap orders</h2>
            <p className="muted">{view === null ? 'Loading…' : `${plural(view.orders.length, 'order', 'orders')} · ${liveOrders} waiting for the officer`}</p>
            <OutcomeRegions outcome={ordersOutcome} problem={null} classPrefix="refresh" />
            {view !== null && view.orders.length > 0 ? (
              <ul className="order-list" aria-labelledby="refresh-orders-title">
                {view.orders.map((order) => (
                  <OrderItem
                    key={order.id}
                    order={order}
                    cancelling={cancelling === order.id}
                    busy={busy}
                    onStartCancel={() => setCancelling(order.id)}
                    onKeep={() => setCancelling(null)}
                    onCancel={(reason) => void cancelOrder(order, reason)}
                  />
                ))}
              </ul>
            ) : null}
          </section>
        </div>
      </div>
    </div>
  );
}

function SanitiseForm({
  name,
  operator: operatorDefault,
  busy,
  onSubmit,
  onCancel,
}: {
  name: string;
  operator: string;
  busy: boolean;
  onSubmit: (input: Omit<RequestInput<'recordSanitisation'>, 'assetId'>) => void;
  onCancel: () => void;
}) {
  const [method, setMethod] = useState<Method | null>(null);
  const [tool, setTool] = useState('');
  const [operator, setOperator] = useState(operatorDefault);
  const [verified, setVerified] = useState<'passed' | 'failed' | null>(null);
  const [certificate, setCertificate] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input')?.focus();
  }, []);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (method === null) return setHint('Choose the sanitisation method.');
    if (tool.trim() === '') return setHint('Name the tool used (product and version).');
    if (operator.trim() === '') return setHint('Name the person who ran it.');
    if (verified === null) return setHint('Say whether the verification passed.');
    if (certificate.trim() === '') return setHint('Give the certificate ID from the tool.');
    setHint(null);
    onSubmit({ method, tool: tool.trim(), operator: operator.trim(), verified: verified === 'passed', certificateId: certificate.trim() });
  }

  return (
    <form ref={form} className="refresh-form" onSubmit={submit} noValidate aria-label={`Record sanitisation of ${name}`}>
      <ChoiceGroup legend="Method (NIST SP 800-88)" choices={METHOD_CHOICES} value={method} onChange={setMethod} className="refresh-choices" />
      <TextField label="Tool" hint="Product and version, for example Blancco Drive Eraser 7." value={tool} onChange={setTool} maxLength={120} />
      <TextField label="Operator" hint="Who ran it." value={operator} onChange={setOperator} maxLength={120} />
      <ChoiceGroup legend="Verification" choices={VERIFIED_CHOICES} value={verified} onChange={setVerified} className="refresh-choices refresh-choices-row" />
      <TextField label="Certificate ID" value={certificate} onChange={setCertificate} maxLength={120} upperCase />
      <FormHint hint={hint} className="refresh-hint" />
      <div className="refresh-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Record sanitisation<span className="visually-hidden"> of {name}</span>
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel<span className="visually-hidden"> recording the sanitisation of {name}</span>
        </button>
      </div>
    </form>
  );
}

function DisposeForm({
  name,
  busy,
  onSubmit,
  onCancel,
}: {
  name: string;
  busy: boolean;
  onSubmit: (input: Omit<RequestInput<'recordDisposal'>, 'assetId'>) => void;
  onCancel: () => void;
}) {
  const [outcome, setOutcome] = useState<DisposalOutcome | null>(null);
  const [organisation, setOrganisation] = useState('');
  const [certificate, setCertificate] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input')?.focus();
  }, []);
  const needs = outcome ? OUTCOME_NEEDS[outcome] : null;

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    if (outcome === null || needs === null) return setHint('Choose what happens to it.');
    const org = organisation.trim();
    const cert = certificate.trim();
    if (needs.organisation === 'required' && org === '') return setHint('Name the organisation receiving it.');
    if (needs.certificate && cert === '') return setHint('Give the certificate number.');
    setHint(null);
    onSubmit({
      outcome,
      receivingOrganisation: needs.organisation === 'none' || org === '' ? null : org,
      certificate: !needs.certificate || cert === '' ? null : cert,
    });
  }

  return (
    <form ref={form} className="refresh-form" onSubmit={submit} noValidate aria-label={`Record disposal of ${name}`}>
      <ChoiceGroup legend="Outcome" choices={OUTCOME_CHOICES} value={outcome} onChange={setOutcome} className="refresh-choices refresh-choices-row" />
      {needs ? <p className="field-hint refresh-outcome-hint">{needs.hint}</p> : null}
      {needs && needs.organisation !== 'none' ? (
        <TextField
          label={needs.organisation === 'required' ? 'Receiving organisation' : 'Receiving organisation (if any)'}
          value={organisation}
          onChange={setOrganisation}
          maxLength={200}
        />
      ) : null}
      {needs?.certificate ? <TextField label="Certificate number" value={certificate} onChange={setCertificate} maxLength={120} upperCase /> : null}
      <FormHint hint={hint} className="refresh-hint" />
      <div className="refresh-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Record disposal<span className="visually-hidden"> of {name}</span>
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel<span className="visually-hidden"> recording the disposal of {name}</span>
        </button>
      </div>
    </form>
  );
}

type NewDevice = 'model' | 'device';
const NEW_DEVICE_CHOICES: readonly Choice<NewDevice>[] = [
  { value: 'model', label: 'Any device of a model' },
  { value: 'device', label: 'A specific device' },
];

function OrderForm({
  models,
  createSwapOrder,
  onCreated,
}: {
  models: DeviceRefreshView['models'];
  createSwapOrder: Queries['createSwapOrder'];
  /** A new order is in: the list below is to be read again. */
  onCreated: () => void;
}) {
  const [officer, setOfficer] = useState('');
  const [oldAsset, setOldAsset] = useState('');
  const [newDevice, setNewDevice] = useState<NewDevice>('model');
  const [modelId, setModelId] = useState<string | null>(null);
  const [newAsset, setNewAsset] = useState('');
  const [expiresOn, setExpiresOn] = useState(() => localDayFromNow(DEFAULT_ORDER_DAYS));
  const [hint, setHint] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const dateId = useId();
  const dateHintId = useId();

  const modelChoices: Choice<string>[] = models.map((m) => ({ value: String(m.assetTypeId), label: `${m.name} (${m.inLockers} in the lockers)` }));

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (officer.trim() === '') return setHint("Enter the officer's collar number.");
    if (oldAsset.trim() === '') return setHint('Enter the serial number or tag of the device they hold now.');
    if (newDevice === 'model' && modelId === null) return setHint('Choose the model to issue.');
    if (newDevice === 'device' && newAsset.trim() === '') return setHint('Enter the serial number or tag of the new device.');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(expiresOn)) return setHint("Choose the order's last day.");
    setHint(null);
    setBusy(true);
    setOutcome(null);
    const result = await createSwapOrder({
      officer: officer.trim(),
      oldAsset: oldAsset.trim(),
      newAsset: newDevice === 'device' ? newAsset.trim() : null,
      newAssetTypeId: newDevice === 'model' ? Number(modelId) : null,
      expiresOn,
    });
    if (!alive.current) return;
    setBusy(false);
    if (!result.ok) {
      setOutcome({ ok: false, message: result.error.message });
      return;
    }
    const order = result.value;
    const fresh = order.newSerial ? `${order.newTypeName} ${order.newSerial}` : `a ${order.newTypeName}`;
    setOutcome({
      ok: true,
      message: `Swap order #${order.id} created: ${order.collarNumber} ${order.officerName} hands in ${order.oldTypeName} ${order.oldSerial} for ${fresh} by ${formatDay(order.expiresOn)}.`,
    });
    onCreated();
    setOfficer('');
    setOldAsset('');
    setNewAsset('');
  }

  return (
    <form className="refresh-form" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="refresh-order-title">
      <TextField label="Officer (collar number)" value={officer} onChange={setOfficer} maxLength={20} upperCase />
      <TextField label="Old device (serial or tag)" hint="The device on loan to them now." value={oldAsset} onChange={setOldAsset} maxLength={64} upperCase />
      <ChoiceGroup legend="New device" choices={NEW_DEVICE_CHOICES} value={newDevice} onChange={setNewDevice} className="refresh-choices refresh-choices-row" />
      {newDevice === 'model' ? (
        models.length === 0 ? (
          <p className="muted">No model is set up for swaps.</p>
        ) : (
          <ChoiceGroup legend="Model" choices={modelChoices} value={modelId} onChange={setModelId} className="refresh-choices" />
        )
      ) : (
        <TextField label="New device (serial or tag)" hint="It must be in a locker and available." value={newAsset} onChange={setNewAsset} maxLength={64} upperCase />
      )}
      <div className="field">
        <label htmlFor={dateId} className="field-label">
          Last day
        </label>
        <p id={dateHintId} className="field-hint">
          The officer can make the swap until the end of this day.
        </p>
        <input
          id={dateId}
          className="text-input refresh-date"
          type="date"
          min={localDayFromNow(0)}
          aria-describedby={dateHintId}
          value={expiresOn}
          onChange={(event) => setExpiresOn(event.target.value)}
        />
      </div>
      <FormHint hint={hint} className="refresh-hint" />
      <button type="submit" className="btn btn-primary refresh-order-submit" disabled={busy}>
        Order swap
      </button>
      <OutcomeRegions outcome={outcome} problem={null} classPrefix="refresh" />
    </form>
  );
}

function OrderItem({
  order,
  cancelling,
  busy,
  onStartCancel,
  onKeep,
  onCancel,
}: {
  order: SwapOrderView;
  cancelling: boolean;
  busy: boolean;
  onStartCancel: () => void;
  onKeep: () => void;
  onCancel: (reason: string) => void;
}) {
  const state = ORDER_STATE_TEXT[order.state];
  const titleId = useId();
  const context = `swap order #${order.id} for ${order.collarNumber}`;
  return (
    <li className={`order order-${order.state}`} data-order-id={order.id} data-state={order.state} aria-labelledby={titleId}>
      <div className="order-head">
        <h3 id={titleId} className="order-title" tabIndex={-1}>
          #{order.id} · {order.collarNumber} {order.officerName}
        </h3>
        <p className={`order-state order-state-${order.state}`}>
          <span aria-hidden="true">{state.icon} </span>
          {state.text}
        </p>
      </div>
      <p className="order-devices">
        Hands in {order.oldTypeName} <span className="nowrap">{order.oldSerial}</span>
        {' for '}
        {order.newSerial ? (
          <>
            {order.newTypeName} <span className="nowrap">{order.newSerial}</span>
          </>
        ) : (
          `any ${order.newTypeName}`
        )}
      </p>
      <p className="order-meta">
        Last day {formatDay(order.expiresOn)} · ordered {formatFull(order.createdAt)} by {order.createdBy}
      </p>
      {order.note ? (
        <p className="order-note">
          <span className="order-note-label">Latest: </span>
          {order.note}
        </p>
      ) : null}
      {order.state === 'open' ? (
        cancelling ? (
          <CancelForm context={context} busy={busy} onCancel={onCancel} onKeep={onKeep} />
        ) : (
          <div className="refresh-actions">
            <button type="button" className="btn btn-secondary order-cancel-open" onClick={onStartCancel}>
              Cancel order…<span className="visually-hidden"> {context}</span>
            </button>
          </div>
        )
      ) : null}
    </li>
  );
}

function CancelForm({ context, busy, onCancel, onKeep }: { context: string; busy: boolean; onCancel: (reason: string) => void; onKeep: () => void }) {
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const reasonId = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    field.current?.focus();
  }, []);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const trimmed = reason.trim();
    if (trimmed.length < REASON_MIN) {
      setHint('Say why it is cancelled, in a few words.');
      field.current?.focus();
      return;
    }
    setHint(null);
    onCancel(trimmed);
  }

  return (
    <form className="refresh-form order-cancel" onSubmit={submit} noValidate>
      <label htmlFor={reasonId} className="field-label">
        Why cancel it? (required)
      </label>
      <textarea
        id={reasonId}
        ref={field}
        className="text-input"
        rows={2}
        maxLength={500}
        required
        value={reason}
        onChange={(event) => {
          setHint(null);
          setReason(event.target.value);
        }}
      />
      <FormHint hint={hint} className="refresh-hint" />
      <div className="refresh-actions">
        <button type="submit" className="btn btn-warning" disabled={busy}>
          Cancel the order<span className="visually-hidden"> ({context})</span>
        </button>
        <button type="button" className="btn btn-secondary" onClick={onKeep}>
          Keep it<span className="visually-hidden"> ({context})</span>
        </button>
      </div>
    </form>
  );
}
