import type { DrawOptionView, LockerStatusView, OfficerBookingView, OfficerSwapView, QualificationView, ScreenView, SessionView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';
import { OutOfService } from '../components/OutOfService.tsx';
import { ScreenMessage } from '../components/PageHead.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';
import { formatDay, formatDrawnAt, formatWhen } from '../format.ts';

type HomeView = Extract<ScreenView, { kind: 'home' }>;

export function HomeScreen({
  screen,
  session,
  lockers,
  commands,
}: {
  screen: HomeView;
  session: SessionView | null;
  lockers: LockerStatusView;
  commands: Commands;
}) {
  if (!session) {
    return (
      <div className="screen">
        <ScreenHeading>Signing in…</ScreenHeading>
      </div>
    );
  }
  const allowed = session.drawOptions.filter((option) => option.allowed);
  const refused = session.drawOptions.filter((option) => !option.allowed);
  // Buttons are shown by role; main checks the role again on every request.
  const isAdmin = session.roles.includes('admin');
  const isArmourer = isAdmin || session.roles.includes('armourer');
  const isIt = session.roles.includes('it');
  const isStores = isArmourer || session.roles.includes('stores');
  const isProperty = session.roles.includes('property');
  // Out of service: the buttons stay, disabled, each saying why in words (main refuses them too).
  const outOfService = lockers.inService ? null : `${lockers.name} are out of service`;

  return (
    <div className="screen screen-home">
      <div className="home-head">
        <ScreenHeading className="screen-title home-title">
          Hello, {session.collarNumber} {session.displayName}
        </ScreenHeading>
        <div className="home-actions">
          {isArmourer ? (
            <button type="button" className="btn btn-secondary home-exceptions" onClick={() => commands.openExceptions({})}>
              <span aria-hidden="true">⚑ </span>
              Exceptions
            </button>
          ) : null}
          {isArmourer ? (
            <button type="button" className="btn btn-secondary home-console" onClick={() => commands.openConsole({})}>
              <span aria-hidden="true">▦ </span>
              Console
            </button>
          ) : null}
          {isArmourer ? (
            <button type="button" className="btn btn-secondary home-people" onClick={() => commands.openPeople({})}>
              <span aria-hidden="true">☺ </span>
              People
            </button>
          ) : null}
          {isStores ? (
            <button type="button" className="btn btn-secondary home-bookings" onClick={() => commands.openBookings({})}>
              <span aria-hidden="true">⇲ </span>
              Bookings
            </button>
          ) : null}
          {isProperty ? (
            <button type="button" className="btn btn-secondary home-exhibits" onClick={() => commands.openExhibits({})}>
              <span aria-hidden="true">⚖ </span>
              Exhibits
            </button>
          ) : null}
          <button type="button" className="btn btn-secondary home-deposit" onClick={() => commands.openExhibitDeposit({})}>
            <span aria-hidden="true">⇲ </span>
            Deposit an exhibit
          </button>
          {isIt ? (
            <button type="button" className="btn btn-secondary home-refresh" onClick={() => commands.openDeviceRefresh({})}>
              <span aria-hidden="true">⇄ </span>
              Device refresh
            </button>
          ) : null}
          {isAdmin ? (
            <>
              <button type="button" className="btn btn-secondary home-training" onClick={() => commands.openTraining({})}>
                <span aria-hidden="true">▤ </span>
                Training records
              </button>
              <button type="button" className="btn btn-secondary home-rules" onClick={() => commands.openRules({})}>
                <span aria-hidden="true">≡ </span>
                Rules
              </button>
              <button type="button" className="btn btn-secondary home-hardware" onClick={() => commands.openHardware({})}>
                <span aria-hidden="true">⚙ </span>
                Hardware
              </button>
            </>
          ) : null}
          <button type="button" className="btn btn-secondary sign-out" onClick={() => commands.signOut({})}>
            Sign out
          </button>
        </div>
      </div>
      <OutOfService lockers={lockers} className="home-out-of-service" />
      <ScreenMessage message={screen.message} className="home-message" />

      <div className="home-grid">
        <div className="home-col">
          {session.bookings.length > 0 ? <BookingPanel bookings={session.bookings} commands={commands} outOfService={outOfService} /> : null}
          {session.swapOrders.length > 0 ? <SwapPanel orders={session.swapOrders} commands={commands} outOfService={outOfService} /> : null}
          <section aria-labelledby="draw-title" className="panel">
            <h2 id="draw-title">What I may draw</h2>
            {allowed.length === 0 ? (
              <p className="muted">Nothing is available for you to draw right now.</p>
            ) : (
              <ul className="draw-list">
                {allowed.map((option) => (
                  <li key={option.assetTypeId}>
                    <button
                      type="button"
                      className="btn btn-primary btn-draw"
                      disabled={outOfService !== null}
                      onClick={() => commands.startDraw({ assetTypeId: option.assetTypeId })}
                    >
                      <span className="btn-draw-main">Draw {option.name}</span>
                      {outOfService ? (
                        <span className="btn-disabled-reason"> — not now: {outOfService}</span>
                      ) : (
                        <span className="btn-draw-sub"> — {option.availableCount} available</span>
                      )}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="holdings-title" className="panel">
            <h2 id="holdings-title">What I hold</h2>
            {session.holdings.length === 0 ? (
              <p className="muted">You hold nothing from this armoury.</p>
            ) : (
              <>
                <ul className="holding-list">
                  {session.holdings.map((holding) => (
                    <li key={holding.loanId} className="holding">
                      <div className="holding-text">
                        <span className="holding-name">{holding.assetTypeName}</span>
                        <span className="holding-detail">
                          Serial {holding.serial} · drawn {formatDrawnAt(holding.drawnAt)}
                        </span>
                      </div>
                      <button
                        type="button"
                        className="btn btn-secondary btn-return"
                        aria-label={outOfService ? `Return ${holding.assetTypeName} ${holding.serial}: not now, ${outOfService}` : `Return ${holding.assetTypeName} ${holding.serial}`}
                        disabled={outOfService !== null}
                        onClick={() => commands.startReturn({ assetId: holding.assetId })}
                      >
                        <span aria-hidden="true">↩ </span>
                        Return
                        {outOfService ? <span className="btn-disabled-reason">Not now: {outOfService}</span> : null}
                      </button>
                    </li>
                  ))}
                </ul>
                <p className="hint">{outOfService ? `Returns are off while ${outOfService}: hand items to an armourer.` : '…or scan its tag to return it.'}</p>
              </>
            )}
          </section>

        </div>

        <div className="home-col">
          {refused.length > 0 ? (
            <section aria-labelledby="refused-title" className="panel">
              <h2 id="refused-title">Not available to me</h2>
              <ul className="refused-list">
                {refused.map((option) => (
                  <RefusedOption key={option.assetTypeId} option={option} commands={commands} />
                ))}
              </ul>
            </section>
          ) : null}

          <section aria-labelledby="quals-title" className="panel">
            <h2 id="quals-title">My qualifications</h2>
            {session.qualifications.length === 0 ? (
              <p className="muted">No qualifications on record.</p>
            ) : (
              <ul className="qual-list">
                {session.qualifications.map((qual) => (
                  <Qualification key={qual.code} qual={qual} />
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  );
}

/** "Laptop (2019 build)" → "laptop": the device in everyday words, for the panel's heading. */
function everydayName(typeName: string): string {
  const plain = typeName.replace(/\s*\(.*\)\s*$/, '').trim() || typeName;
  return plain.charAt(0).toLowerCase() + plain.slice(1);
}

/**
 * Device swaps IT has ordered for this officer (PCD 977). Pressing one starts it: the old
 * device goes in first, and only then does the new one's door open. An order whose old device
 * is already in only has the new device left to collect.
 */
function SwapPanel({ orders, commands, outOfService }: { orders: readonly OfficerSwapView[]; commands: Commands; outOfService: string | null }) {
  const first = orders[0];
  const title = orders.length === 1 && first ? `Swap your ${everydayName(first.oldTypeName)}` : 'Swap your devices';
  return (
    <section aria-labelledby="swap-title" className="panel panel-swap">
      <h2 id="swap-title">
        <span aria-hidden="true">⇄ </span>
        {title}
      </h2>
      <ul className="swap-list">
        {orders.map((order) => (
          <li key={order.orderId}>
            <button type="button" className="btn btn-primary btn-swap" disabled={outOfService !== null} onClick={() => commands.startSwap({ orderId: order.orderId })}>
              <span className="btn-swap-main">
                {order.deposited ? (
                  `Collect your new ${order.newTypeName}`
                ) : (
                  <>
                    Swap your {order.oldTypeName} <span className="nowrap">{order.oldSerial}</span>
                  </>
                )}
              </span>
              <span className="btn-swap-sub">
                {order.deposited
                  ? ` — your ${order.oldTypeName} ${order.oldSerial} is already in`
                  : ` — for a ${order.newTypeName}; hand the old one in first`}
              </span>
              {outOfService ? <span className="btn-disabled-reason">Not now: {outOfService}</span> : null}
            </button>
            <p className="swap-until">Ready until the end of {formatDay(order.expiresOn)}.</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Kit booked for this officer (PCD 1698). A staged booking inside its window is collected with
 * one touch: its door opens, the competency gate decided again first in main. One still being
 * prepared, or not ready yet, says when.
 */
function BookingPanel({ bookings, commands, outOfService }: { bookings: readonly OfficerBookingView[]; commands: Commands; outOfService: string | null }) {
  return (
    <section aria-labelledby="bookings-title" className="panel panel-swap">
      <h2 id="bookings-title">
        <span aria-hidden="true">⇲ </span>
        Booked for you
      </h2>
      <ul className="swap-list">
        {bookings.map((booking) => {
          const what = booking.serial === null ? booking.assetTypeName : `${booking.assetTypeName} ${booking.serial}`;
          return (
            <li key={booking.bookingId}>
              {booking.collectable ? (
                <button type="button" className="btn btn-primary btn-swap btn-collect-booking" disabled={outOfService !== null} onClick={() => commands.startCollection({ bookingId: booking.bookingId })}>
                  <span className="btn-swap-main">
                    Collect {what} <span className="nowrap">from door {booking.doorNumber}</span>
                  </span>
                  <span className="btn-swap-sub"> — booking {booking.reference}</span>
                  {outOfService ? <span className="btn-disabled-reason">Not now: {outOfService}</span> : null}
                </button>
              ) : (
                <p className="swap-until">
                  {what} (booking {booking.reference}):{' '}
                  {booking.state === 'booked' ? 'stores are preparing it.' : `ready for you from ${formatWhen(booking.readyFrom)}.`}
                </p>
              )}
              <p className="swap-until">Collect it by {formatWhen(booking.deadline)}.</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function RefusedOption({ option, commands }: { option: DrawOptionView; commands: Commands }) {
  return (
    <li className="refused">
      <h3 className="refused-name">
        <span aria-hidden="true">✕ </span>
        {option.name}
      </h3>
      {option.reasons.length === 0 ? (
        <p className="refused-reason">Not available to you.</p>
      ) : (
        <ul className="reason-list">
          {option.reasons.map((reason) => (
            <li key={`${reason.code}:${reason.message}`} className="reason" data-reason={reason.code}>
              <p className="refused-reason">{reason.message}</p>
              {reason.advice ? (
                <p className="refused-advice">
                  <span aria-hidden="true">→ </span>
                  {reason.advice}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {option.overridable ? (
        <div className="refused-override">
          <p className="refused-override-hint">Needed now? Ask an armourer to override.</p>
          <button
            type="button"
            className="btn btn-warning btn-override"
            onClick={() => commands.requestOverride({ assetTypeId: option.assetTypeId })}
          >
            <span aria-hidden="true">⚑ </span>
            Override {option.name}
          </button>
        </div>
      ) : null}
    </li>
  );
}

const QUAL_STATE: Record<QualificationView['state'], { icon: string; text: string }> = {
  valid: { icon: '✓', text: 'In date' },
  expiring: { icon: '⚠', text: 'Expiring soon' },
  expired: { icon: '⚠', text: 'Expired' },
};

function Qualification({ qual }: { qual: QualificationView }) {
  const state = QUAL_STATE[qual.state];
  return (
    <li className={`qual qual-${qual.state}`} data-state={qual.state}>
      <span className="qual-state">
        <span aria-hidden="true">{state.icon} </span>
        {state.text}
        <span className="visually-hidden">: </span>
      </span>
      <span className="qual-label">{qual.label}</span>
    </li>
  );
}
