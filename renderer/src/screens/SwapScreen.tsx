import type { ReactNode } from 'react';
import type { ScreenView } from '../../../preload/contract.ts';
import { OutcomeRegions } from '../components/OutcomeRegions.tsx';
import { ScreenHeading } from '../components/ScreenHeading.tsx';

type SwapView = Extract<ScreenView, { kind: 'swap' }>;
type LegState = 'todo' | 'current' | 'done';

/** "Door 13", or words for a door main has not picked yet (the issue door before the deposit is in). */
const doorName = (door: number | null): string => (door === null ? 'A door' : `Door ${door}`);
/** The same in the middle of a sentence: "door 13" or "the door". */
const doorWords = (door: number | null): string => (door === null ? 'the door' : `door ${door}`);

const TAG_TEXT: Record<SwapView['tag'], { icon: string; text: string }> = {
  matched: { icon: '✓', text: 'Tag matched' },
  refused: { icon: '✕', text: 'Tag not matched: nothing new will be released' },
  waiting: { icon: '⌁', text: 'Tag not scanned yet' },
};

const LEG_TEXT: Record<LegState, string> = { todo: 'Next', current: 'Now', done: 'Done' };

function title(screen: SwapView): string {
  switch (screen.step) {
    case 'deposit-opening':
      return `${doorName(screen.depositDoor)} is opening…`;
    case 'deposit-open':
      return `${doorName(screen.depositDoor)} is open`;
    case 'issue-opening':
      return `${doorName(screen.issueDoor)} is opening…`;
    case 'issue-open':
      return `${doorName(screen.issueDoor)} is open`;
  }
}

/** A serial never breaks at its hyphen (LT19-|0001 reads as two things). */
function Serial({ children }: { children: string }) {
  return <span className="nowrap">{children}</span>;
}

function instruction(screen: SwapView): ReactNode {
  const old = (
    <>
      your {screen.oldTypeName} (serial <Serial>{screen.oldSerial}</Serial>)
    </>
  );
  const depositDoor = doorWords(screen.depositDoor);
  const fresh = (
    <>
      your new {screen.newTypeName}
      {screen.newSerial ? (
        <>
          {' '}
          (serial <Serial>{screen.newSerial}</Serial>)
        </>
      ) : null}
    </>
  );
  switch (screen.step) {
    case 'deposit-opening':
      return (
        <>
          Wait for {depositDoor} to open, then scan the tag on {old}, put it inside and close the door.
        </>
      );
    case 'deposit-open': {
      const tag = screen.tag;
      if (tag === 'matched') {
        return (
          <>
            Put {old} in {depositDoor} and close the door.
          </>
        );
      }
      if (tag === 'refused') return `Close ${depositDoor}, then call IT. Nothing new will be released.`;
      return (
        <>
          Scan the tag on {old}, put it in {depositDoor} and close the door.
        </>
      );
    }
    case 'issue-opening':
      return (
        <>
          Your old device is in. {doorName(screen.issueDoor)} is unlocking for {fresh}.
        </>
      );
    case 'issue-open':
      return (
        <>
          Take {fresh} from {doorWords(screen.issueDoor)} and close the door.
        </>
      );
  }
}

/** One leg of the swap (hand in, collect): its door by number, the door's state in words, the item. */
function SwapLeg(props: {
  leg: 'deposit' | 'issue';
  state: LegState;
  mark: string;
  name: string;
  door: number | null;
  /** What stands in the door's place before main has picked one. */
  noDoor: ReactNode;
  doorState: { icon: string; text: string };
  item: ReactNode;
  children?: ReactNode;
}) {
  return (
    <li className={`swap-leg swap-leg-${props.state}`} aria-current={props.state === 'current' ? 'step' : undefined} data-leg={props.leg}>
      <p className="swap-leg-head">
        <span className="swap-leg-mark" aria-hidden="true">
          {props.mark}
        </span>
        <span className="swap-leg-name">{props.name}</span>
        <span className="swap-leg-when">{LEG_TEXT[props.state]}</span>
      </p>
      {props.door === null ? (
        <p className="swap-leg-door swap-leg-door-later">{props.noDoor}</p>
      ) : (
        <p className="swap-leg-door">
          <span className="swap-leg-door-word">Door </span>
          <span className="swap-leg-door-number">{props.door}</span>
        </p>
      )}
      <p className="swap-leg-state">
        <span aria-hidden="true">{props.doorState.icon} </span>
        {props.doorState.text}
      </p>
      <p className="swap-leg-item">{props.item}</p>
      {props.children}
    </li>
  );
}

/**
 * A one-for-one device swap: the deposit door first, the new device's door only once the old
 * device is in and its tag matched (main decides; this screen shows where the swap stands).
 * Both doors are shown by number and in words, the current one marked "Now", and the tag's
 * state is given by icon and text, never by colour alone.
 */
export function SwapScreen({ screen }: { screen: SwapView }) {
  const depositing = screen.step === 'deposit-opening' || screen.step === 'deposit-open';
  const deposit: LegState = depositing ? 'current' : 'done';
  const issue: LegState = depositing ? 'todo' : 'current';
  const tag = TAG_TEXT[screen.tag];
  // No deposit door on an issue step: the old device went in on an earlier visit.
  const depositState =
    screen.step === 'deposit-opening'
      ? { icon: '◌', text: 'Opening…' }
      : screen.step === 'deposit-open'
        ? { icon: '○', text: 'Open' }
        : { icon: '✓', text: screen.depositDoor === null ? 'Already in' : 'Closed with your old device inside' };
  const issueState =
    screen.step === 'issue-opening' ? { icon: '◌', text: 'Opening…' } : screen.step === 'issue-open' ? { icon: '○', text: 'Open' } : { icon: '●', text: 'Locked until your old device is in' };

  return (
    <div className={`screen screen-swap swap-step-${screen.step}`}>
      <p className="swap-kicker">
        Swap: {screen.oldTypeName} for {screen.newTypeName}
      </p>
      <ScreenHeading className="screen-title swap-title">{title(screen)}</ScreenHeading>
      <p className="swap-instruction" role="status">
        {instruction(screen)}
      </p>

      {/* What main said about the last scan: a wrong tag is an alert, a match a status. */}
      <OutcomeRegions outcome={screen.message === null ? null : { ok: screen.tag !== 'refused', message: screen.message }} problem={null} classPrefix="swap" />
      <ol className="swap-legs" aria-label="Swap steps">
        <SwapLeg
          leg="deposit"
          state={deposit}
          mark={deposit === 'done' ? '✓' : '1'}
          name="Hand in your old device"
          door={screen.depositDoor}
          noDoor="Handed in on an earlier visit"
          doorState={depositState}
          item={
            <>
              {screen.oldTypeName} <Serial>{screen.oldSerial}</Serial>
            </>
          }
        >
          <p className={`swap-tag swap-tag-${screen.tag}`} data-tag={screen.tag}>
            <span className="swap-tag-icon" aria-hidden="true">
              {tag.icon}
            </span>
            {tag.text}
          </p>
        </SwapLeg>
        <SwapLeg
          leg="issue"
          state={issue}
          mark="2"
          name="Collect your new device"
          door={screen.issueDoor}
          noDoor={
            <>
              Its door opens after <span className="nowrap">step 1</span>
            </>
          }
          doorState={issueState}
          item={
            <>
              {screen.newTypeName}
              {screen.newSerial ? (
                <>
                  {' '}
                  <Serial>{screen.newSerial}</Serial>
                </>
              ) : null}
            </>
          }
        />
      </ol>

    </div>
  );
}
