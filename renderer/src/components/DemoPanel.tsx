import type { DemoDoorView, DemoView } from '../../../preload/contract.ts';
import type { Commands } from '../commands.ts';

/**
 * Demo mode only: lets a person play the hardware's part (card reader, tag
 * scanner, the locker bank's doors and item sensors). Main refuses these in live mode.
 */
export function DemoPanel({ demo, commands, id }: { demo: DemoView; commands: Commands; id: string }) {
  // While a door is open the locker bank is what the person needs: show it first.
  const openDoors = demo.doors.filter((door) => door.open);
  const closedDoors = demo.doors.filter((door) => !door.open);
  const doorOpen = openDoors.length > 0;
  const lockerBank = (
    <section aria-labelledby="demo-doors-title" className="demo-section">
      <h3 id="demo-doors-title">Open and close the doors</h3>
      {doorOpen ? (
        <ul className="door-open-list" aria-label="Open doors">
          {openDoors.map((door) => (
            <DemoDoor key={door.number} door={door} commands={commands} />
          ))}
        </ul>
      ) : null}
      <ul className="door-grid" aria-label={doorOpen ? 'Closed doors' : 'All doors (closed)'}>
        {closedDoors.map((door) => (
          <DemoDoor key={door.number} door={door} commands={commands} />
        ))}
      </ul>
    </section>
  );
  return (
    <aside id={id} className="demo-panel" aria-labelledby="demo-panel-title">
      <h2 id="demo-panel-title" className="demo-title">
        Simulator
      </h2>
      <p className="demo-note">Plays the part of the card reader, tag scanner and locker bank.</p>

      {doorOpen ? lockerBank : null}
      <section aria-labelledby="demo-cards-title" className="demo-section">
        <h3 id="demo-cards-title">Tap a card</h3>
        {demo.cards.length === 0 ? (
          <p className="muted">No demo cards.</p>
        ) : (
          <ul className="demo-list">
            {demo.cards.map((card) => (
              <li key={card.uid}>
                <button
                  type="button"
                  className="btn btn-demo"
                  onClick={() => commands.demoTapCard({ uid: card.uid })}
                >
                  <span className="demo-btn-main">Tap card {card.label}</span>
                  <span className="demo-btn-sub">
                    {' '}
                    — PIN <span className="pin-reveal">{card.pin}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="demo-tags-title" className="demo-section">
        <h3 id="demo-tags-title">Scan a tag</h3>
        {demo.tags.length === 0 ? (
          <p className="muted">No demo tags.</p>
        ) : (
          <ul className="demo-list">
            {demo.tags.map((tag) => (
              <li key={tag.tag}>
                <button type="button" className="btn btn-demo" onClick={() => commands.demoScanTag({ tag: tag.tag })}>
                  Scan {tag.label}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      {doorOpen ? null : lockerBank}
    </aside>
  );
}

function DemoDoor({ door, commands }: { door: DemoDoorView; commands: Commands }) {
  const n = door.number;
  return (
    <li className={`door ${door.open ? 'door-open' : 'door-closed'}`}>
      <p className="door-head">
        <span className="door-number">Door {n}</span>
        <span className="door-state">
          <span aria-hidden="true">{door.open ? '○ ' : '● '}</span>
          {door.open ? 'Open' : 'Closed'}
        </span>
      </p>
      <p className="door-item">
        <span aria-hidden="true">{door.itemPresent ? '■ ' : '□ '}</span>
        {door.itemPresent ? 'Item inside' : 'Empty'}
        {door.assetLabel ? <span className="door-asset">: {door.assetLabel}</span> : null}
      </p>
      {door.open ? (
        <div className="door-actions">
          <button
            type="button"
            className="btn btn-demo btn-small"
            onClick={() => commands.demoDoor({ doorNumber: n, action: 'close' })}
          >
            Close door {n}
          </button>
          {door.itemPresent ? (
            <button
              type="button"
              className="btn btn-demo btn-small"
              onClick={() => commands.demoDoor({ doorNumber: n, action: 'take-item' })}
            >
              Take item from door {n}
            </button>
          ) : (
            <button
              type="button"
              className="btn btn-demo btn-small"
              onClick={() => commands.demoDoor({ doorNumber: n, action: 'put-item' })}
            >
              Put item in door {n}
            </button>
          )}
        </div>
      ) : null}
    </li>
  );
}
