import { useEffect, useState } from 'react';
import type { AuditAnchorView } from '../../../../preload/contract.ts';
import type { Queries } from '../../commands.ts';
import { OutcomeMessages, downloadFile, formatFull, useAlive } from './shared.tsx';
import type { Outcome } from './shared.tsx';

const REASONS: Record<string, string> = {
  rows: 'after a run of rows',
  interval: 'on the timer',
  'sign-out': 'at a sign-out',
  'start-up': 'after the start-up check',
};

/**
 * Beside the chain's verdict: the start-up check, the latest signed checkpoint, and the
 * terminal's public key with its fingerprint, which an investigator reads out or exports to
 * check the exported checkpoints with (see "Audit anchoring" in the README).
 */
export function AuditAnchorStatus({ queries }: { queries: Pick<Queries, 'getAuditAnchor' | 'exportAuditPublicKey'> }) {
  const [view, setView] = useState<AuditAnchorView | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const alive = useAlive();
  const { getAuditAnchor, exportAuditPublicKey } = queries;

  useEffect(() => {
    void getAuditAnchor({}).then((result) => {
      if (!alive.current) return;
      if (result.ok) setView(result.value);
      else setOutcome({ ok: false, message: result.error.message });
    });
  }, [getAuditAnchor, alive]);

  async function exportKey(): Promise<void> {
    setOutcome(null);
    const result = await exportAuditPublicKey({});
    if (!alive.current) return;
    if (result.ok) {
      downloadFile(result.value);
      setOutcome({ ok: true, message: `Saved ${result.value.fileName}.` });
    } else {
      setOutcome({ ok: false, message: result.error.message });
    }
  }

  const trail = view?.trail;
  return (
    <section className="panel anchor-status" aria-labelledby="anchor-title">
      <h3 id="anchor-title" className="anchor-title">
        Audit anchoring
      </h3>
      {trail?.state === 'failed' ? (
        <p className="chain chain-broken" data-anchor="failed" role="alert">
          <span aria-hidden="true" className="chain-icon">
            ✕
          </span>
          START-UP CHECK FAILED: draws and returns are stopped. {trail.message}
        </p>
      ) : trail?.state === 'verified' ? (
        <p className="chain chain-ok" data-anchor="verified">
          <span aria-hidden="true" className="chain-icon">
            ✓
          </span>
          Start-up check passed{trail.checkedAt ? ` (${formatFull(trail.checkedAt)})` : ''}.
        </p>
      ) : trail ? (
        <p className="muted" data-anchor="checking">
          The start-up check is still running.
        </p>
      ) : null}
      {view ? (
        <dl className="anchor-facts">
          <dt>Latest signed checkpoint</dt>
          <dd data-anchor-checkpoint>
            {view.latestCheckpoint
              ? `row ${view.latestCheckpoint.seq} of ${view.headSeq}, signed ${formatFull(view.latestCheckpoint.at)} ${REASONS[view.latestCheckpoint.reason] ?? ''}`
              : 'none yet'}
          </dd>
          <dt>Signed</dt>
          <dd>
            every {view.everyRows} rows, every {view.everyMinutes} minutes and at every sign-out
          </dd>
          <dt>Terminal</dt>
          <dd>{view.terminalId}</dd>
          <dt>Public key fingerprint (SHA-256)</dt>
          <dd className="anchor-fingerprint" data-anchor-fingerprint>
            {view.publicKeyFingerprint}
          </dd>
        </dl>
      ) : null}
      <div className="console-actions">
        <button type="button" className="btn btn-secondary anchor-export-key" onClick={() => void exportKey()} disabled={view === null}>
          <span aria-hidden="true">⇩ </span>
          Export public key (PEM)
        </button>
      </div>
      <OutcomeMessages outcome={outcome} />
    </section>
  );
}
