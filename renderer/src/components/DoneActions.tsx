import { useEffect, useRef, useState } from 'react';
import type { Commands } from '../commands.ts';

/**
 * How a done screen (draw, return, swap) ends. While main counts down to sign-out: "Signing you
 * out in N s" with "Stay signed in" and "Sign out now". Where the terminal's policy turns the
 * countdown off: the one "Finish" button, as before.
 *
 * The seconds are main's, pushed each second from its own clock, so the screen never runs ahead
 * of the sign-out. The timer is silent to screen readers (role="timer" is not live); a polite
 * status says once, as the screen appears, what will happen and how to stop it.
 */
export function DoneActions({ secondsLeft, commands }: { secondsLeft: number | null; commands: Commands }) {
  const counting = secondsLeft !== null;
  const firstSeconds = useRef(secondsLeft);
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    // Filled once the empty region is on the page: a live region is read out when it changes, not when it appears.
    if (counting) setAnnouncement(`You will be signed out in ${firstSeconds.current ?? ''} seconds. To carry on, press Stay signed in.`);
  }, [counting]);

  if (!counting) {
    return (
      <button type="button" className="btn btn-primary btn-huge" onClick={() => commands.dismiss({})}>
        Finish
      </button>
    );
  }
  return (
    <div className="done-countdown">
      <p role="timer" aria-atomic="true" className="done-timer">
        Signing you out in <strong className="done-seconds">{secondsLeft}</strong> s
      </p>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <div className="done-actions">
        <button type="button" className="btn btn-primary btn-huge" onClick={() => commands.dismiss({})}>
          Stay signed in
        </button>
        <button type="button" className="btn btn-secondary btn-huge" onClick={() => commands.signOut({})}>
          Sign out now
        </button>
      </div>
    </div>
  );
}
