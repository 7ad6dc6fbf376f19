import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  ErrorKind,
  KioskApi,
  KioskSnapshot,
  RequestInput,
  RequestName,
  ResponseValues,
  Result,
  ScreenView,
} from '../../preload/contract.ts';
import { LOST_CONTACT_MESSAGE, onConnectionChange } from './api-client.ts';
import { useKeyboardScans } from './useKeyboardScans.ts';
import { makeCommands, makeQueries } from './commands.ts';
import type { CommandName, Commands, Queries } from './commands.ts';
import { DemoPanel } from './components/DemoPanel.tsx';
import { DeviceStatus } from './components/DeviceStatus.tsx';
import { IdleWarning } from './components/IdleWarning.tsx';
import { OnScreenKeyboard } from './components/OnScreenKeyboard.tsx';
import { useFocusableWhenScrollable } from './components/useFocusableWhenScrollable.ts';
import { useNow } from './components/useNow.ts';
import { formatClock } from './format.ts';
import { CollectDoorScreen } from './screens/CollectDoorScreen.tsx';
import { ConsoleScreen } from './screens/ConsoleScreen.tsx';
import { DoorBanksContext } from './components/DoorStep.tsx';
import { BookingsScreen } from './screens/BookingsScreen.tsx';
import { DeviceRefreshScreen } from './screens/DeviceRefreshScreen.tsx';
import { StageDoorScreen } from './screens/StageDoorScreen.tsx';
import { ExhibitDepositScreen } from './screens/ExhibitDepositScreen.tsx';
import { ExhibitDoorScreen } from './screens/ExhibitDoorScreen.tsx';
import { ExhibitRetrieveScreen } from './screens/ExhibitRetrieveScreen.tsx';
import { ExhibitsScreen } from './screens/ExhibitsScreen.tsx';
import { DrawDoneScreen } from './screens/DrawDoneScreen.tsx';
import { DrawDoorOpenScreen } from './screens/DrawDoorOpenScreen.tsx';
import { ExceptionsScreen } from './screens/ExceptionsScreen.tsx';
import { HardwareScreen } from './screens/HardwareScreen.tsx';
import { HomeScreen } from './screens/HomeScreen.tsx';
import { IdleScreen } from './screens/IdleScreen.tsx';
import { OverrideScreen } from './screens/OverrideScreen.tsx';
import { PinScreen } from './screens/PinScreen.tsx';
import { ProblemScreen } from './screens/ProblemScreen.tsx';
import { ReturnConditionScreen } from './screens/ReturnConditionScreen.tsx';
import { ReturnDoneScreen } from './screens/ReturnDoneScreen.tsx';
import { ReturnDoorOpenScreen } from './screens/ReturnDoorOpenScreen.tsx';
import { RulesScreen } from './screens/RulesScreen.tsx';
import { SwapDoneScreen } from './screens/SwapDoneScreen.tsx';
import { SwapScreen } from './screens/SwapScreen.tsx';
import { PeopleScreen } from './screens/PeopleScreen.tsx';
import { TrainingScreen } from './screens/TrainingScreen.tsx';

type Methods = { [M in RequestName]: (input: RequestInput<M>) => Promise<Result<ResponseValues[M]>> };

/** Activity is reported to main at most this often (it resets the idle timer). */
const ACTIVITY_THROTTLE_MS = 5000;
/**
 * A touch's keep-alive waits this long and is dropped if the touch sent a command of its own
 * (which main counts as activity anyway): sent first, it made main build and send a snapshot
 * just ahead of the draw the same touch asked for, and sat in the way of its unlock.
 */
const KEEP_ALIVE_DEFER_MS = 250;
const DEMO_PANEL_ID = 'demo-panel';
/**
 * Refusals that mean this screen is out of date (the session timed out, another tap or a door
 * moved it on): the message is shown, and a fresh snapshot brings the screen up to date.
 */
const STALE_SCREEN_ERRORS: ReadonlySet<ErrorKind> = new Set(['not-signed-in', 'wrong-state']);

export function App({ api }: { api: KioskApi }) {
  const [snapshot, setSnapshot] = useState<KioskSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connected, setConnected] = useState(true);
  const [demoOpen, setDemoOpen] = useState(false);
  const revision = useRef(-1);
  const snapshotRef = useRef<KioskSnapshot | null>(null);
  // The screen a stale-screen error was caught up to: its message stays when that screen appears.
  const errorScreen = useRef<ScreenView['kind'] | null>(null);
  const mainRef = useRef<HTMLElement>(null);
  /** When the last command went to main (performance.now()), so a touch's deferred keep-alive knows it is not needed. */
  const lastCommandAt = useRef(Number.NEGATIVE_INFINITY);
  useFocusableWhenScrollable(mainRef);

  const accept = useCallback((next: KioskSnapshot) => {
    // Pushes and answers can cross: never step back to an older picture.
    if (next.revision < revision.current) return;
    revision.current = next.revision;
    snapshotRef.current = next;
    setSnapshot(next);
  }, []);

  useEffect(() => {
    const offSnapshot = api.onSnapshot(accept);
    const offConnection = onConnectionChange((up) => {
      setConnected(up);
      // A new connection may be a restarted service with its own revision count;
      // the client re-reads the snapshot on reconnect.
      if (up) {
        revision.current = -1;
        setError((current) => (current === LOST_CONTACT_MESSAGE ? null : current));
      }
    });
    void api.getSnapshot({}).then((result) => {
      if (result.ok) accept(result.value);
    });
    return () => {
      offSnapshot();
      offConnection();
    };
  }, [api, accept]);

  const send = useCallback(
    <M extends CommandName>(method: M, input: RequestInput<M>): void => {
      const methods: Methods = api;
      lastCommandAt.current = window.performance.now();
      setError(null);
      void methods[method](input).then(async (result) => {
        if (result.ok) {
          accept(result.value);
          return;
        }
        if (STALE_SCREEN_ERRORS.has(result.error.kind)) {
          const fresh = await api.getSnapshot({});
          if (fresh.ok) accept(fresh.value);
          errorScreen.current = snapshotRef.current?.screen.kind ?? null;
        }
        setError(result.error.message);
      });
    },
    [api, accept],
  );
  const commands = useMemo<Commands>(() => makeCommands(send), [send]);
  const queries = useMemo<Queries>(() => makeQueries(api), [api]);

  // Any touch or key press means someone is at the terminal: tell main (throttled).
  useEffect(() => {
    let last = 0;
    let deferred = false;
    function onActivity(event: Event): void {
      const current = snapshotRef.current;
      if (!current || current.screen.kind === 'idle') return;
      // The simulator panel plays the card reader, scanner and doors, not the officer at the screen.
      if (event.target instanceof Element && event.target.closest(`#${DEMO_PANEL_ID}`)) return;
      const now = Date.now();
      if (current.idle.doneSecondsLeft !== null) {
        // A done screen counting down: a touch means "stay", at once. A button's own request says
        // what it means: a "stay" sent first would swap the screen from under the finger and lose
        // the press ("Sign out now").
        if (event.target instanceof Element && event.target.closest('button, a, input, select, textarea')) return;
        last = now;
        void api.stillHere({});
        return;
      }
      if (deferred || now - last < ACTIVITY_THROTTLE_MS) return;
      deferred = true;
      const touchedAt = window.performance.now();
      window.setTimeout(() => {
        deferred = false;
        last = Date.now();
        if (lastCommandAt.current >= touchedAt) return;
        // Quiet: a refused keep-alive (e.g. just signed out) is not the person's problem.
        void api.stillHere({});
      }, KEEP_ALIVE_DEFER_MS);
    }
    window.addEventListener('pointerdown', onActivity, { capture: true, passive: true });
    window.addEventListener('keydown', onActivity, { capture: true });
    return () => {
      window.removeEventListener('pointerdown', onActivity, { capture: true });
      window.removeEventListener('keydown', onActivity, { capture: true });
    };
  }, [api]);

  const onKeyboardScan = useCallback((code: string) => commands.keyboardScan({ code }), [commands]);
  useKeyboardScans(snapshot?.keyboardScanFallback ?? false, onKeyboardScan);

  // Errors belong to the screen they happened on, or the one a stale screen was caught up to.
  const screenKind = snapshot?.screen.kind;
  useEffect(() => {
    const keep = errorScreen.current !== null && errorScreen.current === screenKind;
    errorScreen.current = null;
    if (!keep) setError(null);
  }, [screenKind]);

  const demo = snapshot?.demo ?? null;
  const warningSeconds = snapshot?.idle.warningSecondsLeft ?? null;
  const dialogOpen = warningSeconds !== null;
  const panelOpen = demoOpen && demo !== null;

  return (
    <div className={`app${panelOpen ? ' app-with-panel' : ''}`}>
      <div className="app-inner" inert={dialogOpen}>
        <header className="topbar">
          <TopbarClock terminalName={snapshot?.terminalName ?? 'Armoury Kiosk'} />
          <DeviceStatus devices={snapshot?.devices ?? []} />
          {demo ? (
            <button
              type="button"
              className={`btn btn-toggle${panelOpen ? ' btn-toggle-on' : ''}`}
              aria-expanded={panelOpen}
              aria-controls={DEMO_PANEL_ID}
              onClick={() => setDemoOpen((open) => !open)}
            >
              <span aria-hidden="true">{panelOpen ? '✕ ' : '☰ '}</span>
              Simulator
            </button>
          ) : null}
        </header>
        <div className="layout">
          <main ref={mainRef} className="main" data-screen={snapshot?.screen.kind ?? 'loading'}>
            <div className="alerts" role="alert">
              {!connected ? (
                <p className="message message-error">
                  <span aria-hidden="true">⚠ </span>
                  {LOST_CONTACT_MESSAGE}
                </p>
              ) : null}
              {error && !(error === LOST_CONTACT_MESSAGE && !connected) && error !== messageOnScreen(snapshot) ? (
                <p className="message message-error">
                  <span aria-hidden="true">⚠ </span>
                  {error}
                </p>
              ) : null}
            </div>
            {snapshot ? (
              <DoorBanksContext.Provider value={snapshot.doorBanks}>
                <Screen key={snapshot.screen.kind} snapshot={snapshot} commands={commands} queries={queries} />
              </DoorBanksContext.Provider>
            ) : (
              <div className="screen">
                <h1 className="screen-title">Starting…</h1>
              </div>
            )}
          </main>
          {panelOpen ? <DemoPanel id={DEMO_PANEL_ID} demo={demo} commands={commands} /> : null}
        </div>
        <OnScreenKeyboard />
      </div>
      {dialogOpen ? <IdleWarning secondsLeft={warningSeconds} onStillHere={() => commands.stillHere({})} /> : null}
    </div>
  );
}

function TopbarClock({ terminalName }: { terminalName: string }) {
  const now = useNow(5000);
  return (
    <p className="topbar-name">
      <span className="topbar-terminal">{terminalName}</span>
      <span className="topbar-time">{formatClock(now)}</span>
    </p>
  );
}

function Screen({ snapshot, commands, queries }: { snapshot: KioskSnapshot; commands: Commands; queries: Queries }) {
  const screen: ScreenView = snapshot.screen;
  switch (screen.kind) {
    case 'idle':
      return <IdleScreen terminalName={snapshot.terminalName} lockers={snapshot.lockers} setup={snapshot.setup} commands={commands} />;
    case 'pin':
      return <PinScreen screen={screen} commands={commands} />;
    case 'home':
      return <HomeScreen screen={screen} session={snapshot.session} lockers={snapshot.lockers} commands={commands} />;
    case 'draw-door-open':
      return <DrawDoorOpenScreen screen={screen} />;
    case 'draw-done':
      return <DrawDoneScreen screen={screen} secondsLeft={snapshot.idle.doneSecondsLeft} commands={commands} />;
    case 'return-door-open':
      return <ReturnDoorOpenScreen screen={screen} />;
    case 'return-condition':
      return <ReturnConditionScreen screen={screen} commands={commands} />;
    case 'return-done':
      return <ReturnDoneScreen screen={screen} secondsLeft={snapshot.idle.doneSecondsLeft} commands={commands} />;
    case 'problem':
      return <ProblemScreen screen={screen} commands={commands} />;
    case 'hardware':
      return <HardwareScreen commands={commands} queries={queries} />;
    case 'override':
      return <OverrideScreen screen={screen} commands={commands} />;
    case 'exceptions':
      return <ExceptionsScreen commands={commands} queries={queries} />;
    case 'training':
      return <TrainingScreen commands={commands} queries={queries} />;
    case 'people':
      return <PeopleScreen screen={screen} session={snapshot.session} enrolling={snapshot.enrolling} commands={commands} queries={queries} />;
    case 'rules':
      return <RulesScreen commands={commands} queries={queries} />;
    case 'console':
      return <ConsoleScreen session={snapshot.session} commands={commands} queries={queries} />;
    case 'swap':
      return <SwapScreen screen={screen} />;
    case 'swap-done':
      return <SwapDoneScreen screen={screen} secondsLeft={snapshot.idle.doneSecondsLeft} commands={commands} />;
    case 'device-refresh':
      return <DeviceRefreshScreen screen={screen} session={snapshot.session} commands={commands} queries={queries} />;
    case 'collect-door':
      return <CollectDoorScreen screen={screen} />;
    case 'bookings':
      return <BookingsScreen screen={screen} commands={commands} queries={queries} />;
    case 'stage-door':
      return <StageDoorScreen screen={screen} />;
    case 'exhibit-deposit':
      return <ExhibitDepositScreen screen={screen} session={snapshot.session} commands={commands} />;
    case 'exhibit-door':
      return <ExhibitDoorScreen screen={screen} />;
    case 'exhibits':
      return <ExhibitsScreen screen={screen} commands={commands} queries={queries} />;
    case 'exhibit-retrieve':
      return <ExhibitRetrieveScreen screen={screen} commands={commands} />;
    default: {
      const unknown: never = screen;
      return (
        <div className="screen">
          <h1 className="screen-title">Unknown screen</h1>
          <p>{JSON.stringify(unknown)}</p>
        </div>
      );
    }
  }
}

/** The message the current screen already shows, so the same words are not announced twice. */
function messageOnScreen(snapshot: KioskSnapshot | null): string | null {
  const screen = snapshot?.screen;
  if (!screen) return null;
  if (screen.kind === 'pin' || screen.kind === 'home' || screen.kind === 'people' || screen.kind === 'problem' || screen.kind === 'override' || screen.kind === 'swap' || screen.kind === 'device-refresh' || screen.kind === 'bookings' || screen.kind === 'exhibit-deposit' || screen.kind === 'exhibits' || screen.kind === 'exhibit-retrieve') {
    return screen.message;
  }
  return null;
}
