import { useCallback, useEffect, useRef, useState } from 'react';
import type { FrameLogEntryView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { usePoll } from './usePoll.ts';

const KEEP = 200;
const POLL_MS = 1000;

const DIRECTION: Record<FrameLogEntryView['direction'], string> = {
  tx: '→ tx',
  rx: '← rx',
  event: '• event',
};

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** The live hex log: every device's frames, newest last, the last 200 kept. */
export function FrameLogPanel({ hardwareFrames }: { hardwareFrames: Queries['hardwareFrames'] }) {
  const [entries, setEntries] = useState<FrameLogEntryView[]>([]);
  const [paused, setPaused] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const lastSeq = useRef(0);
  const list = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);

  const poll = useCallback(async () => {
    const result = await hardwareFrames({ since: lastSeq.current });
    if (!result.ok) {
      setProblem(result.error.message);
      return;
    }
    setProblem(null);
    const fresh = result.value.filter((entry) => entry.seq > lastSeq.current);
    if (fresh.length === 0) return;
    lastSeq.current = fresh[fresh.length - 1]?.seq ?? lastSeq.current;
    setEntries((current) => [...current, ...fresh].slice(-KEEP));
  }, [hardwareFrames]);
  usePoll(poll, POLL_MS, !paused);

  // Follow the newest frame unless the person scrolled up to read an older one.
  useEffect(() => {
    const element = list.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  }, [entries]);

  function onScroll(): void {
    const element = list.current;
    if (!element) return;
    stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  }

  return (
    <section aria-labelledby="hw-log-title" className="panel hw-log">
      <div className="hw-log-head">
        <h2 id="hw-log-title">Device frames</h2>
        <p className="hw-log-state">{paused ? 'Paused' : 'Live'} · {entries.length} shown</p>
        <button
          type="button"
          className={`btn btn-secondary${paused ? ' btn-toggle-on' : ''}`}
          aria-pressed={paused}
          onClick={() => setPaused((value) => !value)}
        >
          <span aria-hidden="true">{paused ? '▶ ' : '❚❚ '}</span>
          Pause
        </button>
      </div>
      {problem ? <p className="hw-log-problem">Log not updating: {problem}</p> : null}
      <ol ref={list} className="hw-frames" aria-label="Device frame log" tabIndex={0} onScroll={onScroll}>
        {entries.map((entry) => (
          <li key={entry.seq} className={`hw-frame hw-frame-${entry.direction}`} data-direction={entry.direction}>
            <span className="hw-frame-time">{formatTime(entry.at)}</span>{' '}
            <span className="hw-frame-device">{entry.device}</span>{' '}
            <span className="hw-frame-dir">{DIRECTION[entry.direction]}</span>{' '}
            {entry.hex ? <span className="hw-frame-hex">{entry.hex}</span> : null}
            {entry.hex && entry.note ? ' ' : null}
            {entry.note ? <span className="hw-frame-note">{entry.note}</span> : null}
          </li>
        ))}
      </ol>
      {entries.length === 0 ? <p className="muted">No frames yet.</p> : null}
    </section>
  );
}
