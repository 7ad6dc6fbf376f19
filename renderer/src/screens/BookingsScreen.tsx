import { useCallback, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import type { BookingPriority, BookingState, BookingsView, BookingView, PoolLevelView, ScreenView } from '../../../preload/contract.ts';
import type { Commands, Queries } from '../commands.ts';
import { ChoiceGroup, type Choice } from '../components/ChoiceGroup.tsx';
import { FormHint } from '../components/FormHint.tsx';
import { OutcomeRegions, type Outcome } from '../components/OutcomeRegions.tsx';
import { PageHead, ScreenMessage } from '../components/PageHead.tsx';
import { TextField } from '../components/TextField.tsx';
import { usePoll } from '../components/hardware/usePoll.ts';
import { formatWhen, plural } from '../format.ts';
import { useAlive } from './console/shared.tsx';

type BookingsScreenView = Extract<ScreenView, { kind: 'bookings' }>;

const REFRESH_MS = 5000;

const STATE_TEXT: Record<BookingState, { icon: string; text: string }> = {
  booked: { icon: '○', text: 'Booked: to stage' },
  staged: { icon: '●', text: 'Staged: held behind its door' },
  collected: { icon: '✓', text: 'Collected' },
  expired: { icon: '◷', text: 'Expired' },
  cancelled: { icon: '✕', text: 'Cancelled' },
};

const PRIORITY_CHOICES: readonly Choice<BookingPriority>[] = [
  { value: 'routine', label: 'Routine' },
  { value: 'mobilisation', label: 'Mobilisation: before routine', icon: '⚑' },
];
/** When it is ready, in hours from now on the terminal's clock (main adds them to its own time). */
const READY_CHOICES: readonly Choice<string>[] = [
  { value: '0', label: 'Now' },
  { value: '1', label: 'In 1 hour' },
  { value: '4', label: 'In 4 hours' },
  { value: '12', label: 'In 12 hours' },
];
const WINDOW_CHOICES: readonly Choice<string>[] = [
  { value: '12', label: '12 hours' },
  { value: '24', label: '24 hours' },
  { value: '48', label: '2 days' },
  { value: '72', label: '3 days' },
];

/**
 * Stores and armourers (PCD 1698): book kit for an officer, stage it behind a door (held for
 * them until they collect it at any hour with card and PIN), cancel, and see no-shows. Main
 * checks the role and every step; this screen asks and shows.
 */
export function BookingsScreen({ screen, commands, queries }: { screen: BookingsScreenView; commands: Commands; queries: Queries }) {
  const [view, setView] = useState<BookingsView | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [listOutcome, setListOutcome] = useState<Outcome | null>(null);
  const alive = useAlive();
  const loads = useRef(0);
  const { getBookings, cancelBooking } = queries;

  const refresh = useCallback(async () => {
    const ticket = ++loads.current;
    const result = await getBookings({});
    if (!alive.current || ticket !== loads.current) return;
    if (!result.ok) {
      setLoadProblem(`Could not load the bookings: ${result.error.message}`);
      return;
    }
    setLoadProblem(null);
    setView(result.value);
  }, [getBookings, alive]);
  usePoll(refresh, REFRESH_MS);

  async function cancel(booking: BookingView, reason: string): Promise<boolean> {
    const result = await cancelBooking({ bookingId: booking.id, reason });
    if (!alive.current) return false;
    setListOutcome(result.ok ? { ok: true, message: `Booking ${booking.reference} cancelled.` } : { ok: false, message: result.error.message });
    await refresh();
    return result.ok;
  }

  const live = view?.bookings.filter((b) => b.state === 'booked' || b.state === 'staged') ?? [];
  const ended = view?.bookings.filter((b) => b.state !== 'booked' && b.state !== 'staged') ?? [];
  return (
    <div className="screen screen-bookings">
      <PageHead title="Bookings" onBack={() => commands.dismiss({})} />
      <p className="page-intro">Book kit for an officer, then stage it: its door is held for them, and they collect it with card and PIN at any hour.</p>
      <ScreenMessage message={screen.message} className="bookings-message" />
      <OutcomeRegions outcome={null} problem={loadProblem} classPrefix="bookings" />
      <div className="refresh-grid">
        <section aria-labelledby="bookings-live-title" className="refresh-col">
          <h2 id="bookings-live-title" className="refresh-section-title">
            Waiting
          </h2>
          <p className="muted">{view === null ? 'Loading…' : `${plural(live.length, 'booking', 'bookings')} to stage or collect`}</p>
          <OutcomeRegions outcome={listOutcome} problem={null} classPrefix="bookings" />
          {live.length > 0 ? (
            <ul className="order-list" aria-labelledby="bookings-live-title">
              {live.map((booking) => (
                <BookingItem key={booking.id} booking={booking} onStage={(item) => commands.stageBooking({ bookingId: booking.id, item })} onCancel={(reason) => cancel(booking, reason)} />
              ))}
            </ul>
          ) : null}
          {ended.length > 0 ? (
            <>
              <h2 id="bookings-ended-title" className="refresh-section-title">
                Recent
              </h2>
              <ul className="order-list" aria-labelledby="bookings-ended-title">
                {ended.slice(0, 20).map((booking) => (
                  <BookingItem key={booking.id} booking={booking} />
                ))}
              </ul>
            </>
          ) : null}
        </section>
        <div className="refresh-col">
          <section aria-labelledby="bookings-new-title" className="panel refresh-panel">
            <h2 id="bookings-new-title">Book kit</h2>
            {view === null ? <p className="muted">Loading…</p> : <BookingForm types={view.types} createBooking={queries.createBooking} onCreated={() => void refresh()} />}
          </section>
          <section aria-labelledby="bookings-stock-title" className="panel refresh-panel">
            <h2 id="bookings-stock-title">Pooled stock</h2>
            {view === null || view.pools.length === 0 ? (
              <p className="muted">No pooled stock (PPE, uniform by size) is set up: mark a type &quot;pooled&quot; in the site register.</p>
            ) : (
              <ul className="noshow-list" aria-labelledby="bookings-stock-title">
                {view.pools.map((pool) => (
                  <PoolItem key={pool.assetTypeId} pool={pool} queries={queries} onChanged={() => void refresh()} />
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="bookings-noshow-title" className="panel refresh-panel">
            <h2 id="bookings-noshow-title">No-shows</h2>
            {view === null || view.noShows.length === 0 ? (
              <p className="muted">No staged booking has expired uncollected.</p>
            ) : (
              <ul className="noshow-list" aria-labelledby="bookings-noshow-title">
                {view.noShows.map((n) => (
                  <li key={n.officer}>
                    {n.officer}: {plural(n.count, 'booking', 'bookings')} not collected
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}

/** One pooled type's stock, with receiving a delivery and recording a count. */
function PoolItem({ pool, queries, onChanged }: { pool: PoolLevelView; queries: Queries; onChanged: () => void }) {
  const [quantity, setQuantity] = useState('');
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const alive = useAlive();
  async function receive(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const n = Number(quantity.trim());
    if (!Number.isInteger(n) || n < 1) return setOutcome({ ok: false, message: 'Give how many were delivered, as a whole number.' });
    const result = await queries.receiveStock({ assetTypeId: pool.assetTypeId, quantity: n, note: note.trim() === '' ? 'delivery' : note.trim() });
    if (!alive.current) return;
    setOutcome(result.ok ? { ok: true, message: `${n} ${pool.name} received: ${result.value.inStore} in the store.` } : { ok: false, message: result.error.message });
    if (result.ok) {
      setQuantity('');
      setNote('');
      onChanged();
    }
  }
  return (
    <li data-pool={pool.assetTypeId}>
      <p className="order-title">
        {pool.low ? <span aria-hidden="true">⚠ </span> : null}
        {pool.name}: {pool.inStore} in the store, {pool.inLockers} in the lockers, {pool.held} held for bookings, {pool.onLoan} out
        {pool.low ? ` · low stock (below ${pool.lowStockBelow})` : ''}
      </p>
      <form className="refresh-form" noValidate aria-label={`Receive ${pool.name}`} onSubmit={(event) => void receive(event)}>
        <TextField label="Delivered (how many)" value={quantity} onChange={setQuantity} maxLength={5} />
        <TextField label="Delivery note (optional)" value={note} onChange={setNote} maxLength={200} upperCase />
        <button type="submit" className="btn btn-secondary">
          Receive<span className="visually-hidden"> {pool.name}</span>
        </button>
      </form>
      <OutcomeRegions outcome={outcome} problem={null} classPrefix="bookings" />
    </li>
  );
}

function BookingItem({ booking, onStage, onCancel }: { booking: BookingView; onStage?: (item: string | null) => void; onCancel?: (reason: string) => Promise<boolean> }) {
  const [item, setItem] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const state = STATE_TEXT[booking.state];
  const what = booking.quantity > 1 ? `${booking.quantity} × ${booking.assetTypeName}` : booking.serial === null ? `any ${booking.assetTypeName}` : `${booking.assetTypeName} ${booking.serial}`;
  const name = `booking ${booking.reference}`;
  return (
    <li className="order" data-booking-id={booking.id}>
      <h3 className="order-title" tabIndex={-1}>
        {booking.priority === 'mobilisation' ? <span className="badge badge-mobilisation">⚑ Mobilisation </span> : null}
        {what} for {booking.officer}
      </h3>
      <p className="order-state" data-state={booking.state}>
        <span aria-hidden="true">{state.icon} </span>
        {state.text} · {booking.nextStep}
      </p>
      <p className="order-detail">
        Reference {booking.reference}
        {booking.onBehalfOf ? ` · for ${booking.onBehalfOf}` : ''} · ready {formatWhen(booking.readyFrom)} · collect by {formatWhen(booking.deadline)} · booked by {booking.bookedBy}
      </p>
      {booking.note ? <p className="order-detail">{booking.note}</p> : null}
      {onStage && booking.state === 'booked' ? (
        <form
          className="refresh-form"
          noValidate
          aria-label={`Stage ${name}`}
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            onStage(item.trim() === '' ? null : item.trim());
          }}
        >
          {booking.serial === null && booking.quantity === 1 ? (
            <TextField label="Item you are loading (serial or tag)" hint="Leave it empty to hold one already in a locker." value={item} onChange={setItem} maxLength={64} upperCase />
          ) : null}
          <button type="submit" className="btn btn-primary">
            <span aria-hidden="true">⇲ </span>
            Stage it<span className="visually-hidden"> ({name})</span>
          </button>
        </form>
      ) : null}
      {onCancel && !cancelling ? (
        <button type="button" className="btn btn-secondary" onClick={() => setCancelling(true)}>
          Cancel booking…<span className="visually-hidden"> ({name})</span>
        </button>
      ) : null}
      {onCancel && cancelling ? (
        <form
          className="refresh-form"
          noValidate
          aria-label={`Cancel ${name}`}
          onSubmit={(event: FormEvent<HTMLFormElement>) => {
            event.preventDefault();
            if (reason.trim().length < 3) return setHint('Say why, in a few words.');
            setHint(null);
            void onCancel(reason.trim()).then((done) => done && setCancelling(false));
          }}
        >
          <TextField label="Why cancel it?" value={reason} onChange={setReason} maxLength={500} />
          <FormHint hint={hint} className="refresh-hint" />
          <div className="refresh-actions">
            <button type="submit" className="btn btn-warning">
              Cancel the booking<span className="visually-hidden"> ({name})</span>
            </button>
            <button type="button" className="btn btn-secondary" onClick={() => setCancelling(false)}>
              Keep it<span className="visually-hidden"> ({name})</span>
            </button>
          </div>
        </form>
      ) : null}
    </li>
  );
}

type WhatToBook = 'kind' | 'item';
const PICK_CHOICES: readonly Choice<WhatToBook>[] = [
  { value: 'kind', label: 'Any of a kind' },
  { value: 'item', label: 'A specific item' },
];

function BookingForm({ types, createBooking, onCreated }: { types: BookingsView['types']; createBooking: Queries['createBooking']; onCreated: () => void }) {
  const [officer, setOfficer] = useState('');
  const [onBehalfOf, setOnBehalfOf] = useState('');
  const [pick, setPick] = useState<WhatToBook>('kind');
  const [typeId, setTypeId] = useState<string | null>(null);
  const [item, setItem] = useState('');
  const [priority, setPriority] = useState<BookingPriority>('routine');
  const [ready, setReady] = useState('0');
  const [holdHours, setHoldHours] = useState('24');
  const [reference, setReference] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [hint, setHint] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useAlive();
  const typeChoices: Choice<string>[] = types.map((t) => ({ value: String(t.assetTypeId), label: `${t.name} (${t.inLockers} in the lockers, ${t.inStore} in the store)` }));
  const pooled = pick === 'kind' && types.some((t) => String(t.assetTypeId) === typeId && t.pooled);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (officer.trim() === '') return setHint("Enter the collecting officer's collar number.");
    if (pick === 'kind' && typeId === null) return setHint('Choose the kind of kit.');
    if (pick === 'item' && item.trim() === '') return setHint('Enter the serial number or tag of the item.');
    if (reference.trim() === '') return setHint('Give a reference (an order, a duty, a ticket).');
    const units = pooled ? Number(quantity.trim()) : 1;
    if (!Number.isInteger(units) || units < 1 || units > 100) return setHint('Give how many, from 1 to 100.');
    setHint(null);
    setBusy(true);
    setOutcome(null);
    const result = await createBooking({
      officer: officer.trim(),
      onBehalfOf: onBehalfOf.trim() === '' ? null : onBehalfOf.trim(),
      item: pick === 'item' ? item.trim() : null,
      assetTypeId: pick === 'kind' ? Number(typeId) : null,
      priority,
      readyInHours: Number(ready),
      collectWithinHours: Number(holdHours),
      reference: reference.trim(),
      quantity: units,
    });
    if (!alive.current) return;
    setBusy(false);
    if (!result.ok) {
      setOutcome({ ok: false, message: result.error.message });
      return;
    }
    const booking = result.value;
    setOutcome({ ok: true, message: `Booked ${booking.serial === null ? `a ${booking.assetTypeName}` : `${booking.assetTypeName} ${booking.serial}`} for ${booking.officer} (${booking.reference}). Next: stage it.` });
    setOfficer('');
    setOnBehalfOf('');
    setItem('');
    setReference('');
    onCreated();
  }

  return (
    <form className="refresh-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Book kit">
      <TextField label="Collecting officer (collar number)" value={officer} onChange={setOfficer} maxLength={20} upperCase />
      <TextField label="On behalf of (optional)" hint="Who the kit is for, when someone else collects it." value={onBehalfOf} onChange={setOnBehalfOf} maxLength={120} />
      <ChoiceGroup legend="What" choices={PICK_CHOICES} value={pick} onChange={setPick} className="refresh-choices refresh-choices-row" />
      {pick === 'kind' ? (
        <ChoiceGroup legend="Kind of kit" choices={typeChoices} value={typeId} onChange={setTypeId} className="refresh-choices" />
      ) : (
        <TextField label="Item (serial or tag)" value={item} onChange={setItem} maxLength={64} upperCase />
      )}
      {pooled ? <TextField label="How many" hint="Pooled stock is booked by quantity, taken from the store when it is staged." value={quantity} onChange={setQuantity} maxLength={3} /> : null}
      <ChoiceGroup legend="Priority" choices={PRIORITY_CHOICES} value={priority} onChange={setPriority} className="refresh-choices refresh-choices-row" />
      <ChoiceGroup legend="Ready" choices={READY_CHOICES} value={ready} onChange={setReady} className="refresh-choices refresh-choices-row" />
      <ChoiceGroup legend="Then held for collection for" choices={WINDOW_CHOICES} value={holdHours} onChange={setHoldHours} className="refresh-choices refresh-choices-row" />
      <TextField label="Reference" value={reference} onChange={setReference} maxLength={60} upperCase />
      <FormHint hint={hint} className="refresh-hint" />
      <OutcomeRegions outcome={outcome} problem={null} classPrefix="bookings" />
      <div className="refresh-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Book it
        </button>
      </div>
    </form>
  );
}
