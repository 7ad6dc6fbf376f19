import PDFDocument from 'pdfkit';
import type { ExhibitView } from '../../preload/contract.ts';
import type { StoredAuditRow } from './audit.ts';
import { rowHash } from './audit-chain.ts';
import { checkpointSignatureValid, type SignedCheckpoint } from './audit-checkpoint.ts';
import { humanDateTime } from './audit-sentences.ts';
import type { ContinuityEntry } from './exhibits.ts';

/**
 * An exhibit's continuity record (PCD 1698): every event of its chain of custody (who, when,
 * door, seals, footage), each with the audit row that records it exactly as stored and hashed,
 * and a checkpoint of the chain's head signed by the terminal's key when the record was made.
 *
 * A court copy is checked against the terminal without trusting the PDF: each row's hash is
 * recomputed from its printed fields, the checkpoint's signature is checked with the terminal's
 * public key (printed too, and compared with the key the force holds for the terminal), and the
 * terminal's own chain must hold those same rows under that checkpoint (`npm run audit:verify`
 * on the terminal's database, or `verifyContinuity` with its rows). The record is also embedded
 * in the PDF as JSON (continuity.json), so the check can be run on the file itself.
 */

export const CONTINUITY_FORMAT = 'armoury-kiosk/continuity/1';

export interface ContinuityRecord {
  format: typeof CONTINUITY_FORMAT;
  terminalName: string;
  generatedAt: string;
  exhibit: Omit<ExhibitView, 'events'>;
  entries: ContinuityEntry[];
  /** Signed when the record was made (reason 'export'), or the latest if nothing was written since. */
  checkpoint: SignedCheckpoint | null;
  publicKeyPem: string | null;
  publicKeyFingerprint: string | null;
}

export interface ContinuityVerdict {
  ok: boolean;
  problems: string[];
}

/**
 * Check a continuity record: every row's hash recomputes from its fields; every event is the
 * row it says it is; the checkpoint is signed by the key given and covers the last event; and,
 * with the terminal's rows, each row is the terminal's own and the chain runs unbroken from the
 * first event to the checkpoint's head.
 */
export function verifyContinuity(record: ContinuityRecord, publicKeyPem: string, terminalRows?: (fromSeq: number, toSeq: number) => StoredAuditRow[]): ContinuityVerdict {
  const problems: string[] = [];
  for (const { event, audit } of record.entries) {
    if (rowHash(audit.prevHash, audit.seq, audit.at, audit.actor, audit.action, audit.subject, audit.details) !== audit.hash) problems.push(`row ${audit.seq}: its hash does not match its fields`);
    if (audit.seq !== event.auditSeq || audit.action !== `exhibit.${event.kind}`) problems.push(`row ${audit.seq}: it is not the ${event.kind} event it is printed beside`);
    if (audit.subject !== `exhibit:${record.exhibit.id}`) problems.push(`row ${audit.seq}: it is about ${audit.subject}, not exhibit ${record.exhibit.id}`);
  }
  const checkpoint = record.checkpoint;
  const last = record.entries.at(-1)?.audit.seq ?? 0;
  if (checkpoint === null) problems.push('no signed checkpoint');
  else {
    if (!checkpointSignatureValid(checkpoint, publicKeyPem)) problems.push(`checkpoint at row ${checkpoint.seq}: its signature is not the terminal key's`);
    if (checkpoint.seq < last) problems.push(`checkpoint at row ${checkpoint.seq} does not cover the last event (row ${last})`);
  }
  if (terminalRows && checkpoint !== null && record.entries.length > 0) {
    const first = record.entries[0]!.audit.seq;
    const rows = terminalRows(first, checkpoint.seq);
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    for (const { audit } of record.entries) {
      const theirs = bySeq.get(audit.seq);
      if (!theirs || theirs.hash !== audit.hash) problems.push(`row ${audit.seq}: the terminal's row is not the one printed`);
    }
    let prev: StoredAuditRow | null = null;
    for (const row of rows) {
      if (rowHash(row.prevHash, row.seq, row.at, row.actor, row.action, row.subject, row.details) !== row.hash) problems.push(`terminal row ${row.seq}: its hash does not match its fields`);
      if (prev !== null && (row.seq !== prev.seq + 1 || row.prevHash !== prev.hash)) problems.push(`terminal row ${row.seq}: the chain is broken before it`);
      prev = row;
    }
    if (prev === null || prev.seq !== checkpoint.seq || prev.hash !== checkpoint.headHash) problems.push(`the terminal's chain does not reach the checkpoint's head at row ${checkpoint.seq}`);
  }
  return { ok: problems.length === 0, problems };
}

/** The continuity record as a PDF: the events, each row's fields and hash, the signed checkpoint, and the record itself embedded as JSON. */
export function continuityPdf(record: ContinuityRecord, options: { compress?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { exhibit } = record;
    const title = `Continuity record: exhibit ${exhibit.reference}, ${exhibit.occurrence}`;
    const doc = new PDFDocument({ size: 'A4', margin: 40, bufferPages: true, compress: options.compress ?? true, info: { Title: title, Creator: 'Armoury Kiosk', CreationDate: new Date(record.generatedAt) } });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
    const line = (text: string, font: 'Helvetica' | 'Helvetica-Bold' | 'Courier' = 'Helvetica', size = 9) => doc.font(font).fontSize(size).text(text, { width });

    line(title, 'Helvetica-Bold', 14);
    line(`${record.terminalName}. Generated ${humanDateTime(record.generatedAt)}.`);
    doc.moveDown(0.5);
    line('The exhibit', 'Helvetica-Bold', 11);
    line(`Category: ${exhibit.category}. Bag: ${exhibit.bagType}. Seals now: ${exhibit.seals.join(', ')}.`);
    line(`Description: ${exhibit.description}`);
    line(`Seized by ${exhibit.seizedBy} at ${exhibit.seizedWhere}, ${humanDateTime(exhibit.seizedAt)}.${exhibit.photoRef ? ` Photograph: ${exhibit.photoRef}.` : ''}`);
    if (exhibit.madeSafeBy) line(`Declared made safe by ${exhibit.madeSafeBy}.`);
    line(`Deposited by ${exhibit.depositedBy}. Now: ${exhibit.state}${exhibit.doorNumber === null ? '' : `, behind door ${exhibit.doorNumber}`}.`);
    doc.moveDown(0.5);

    line('Chain of custody', 'Helvetica-Bold', 11);
    for (const { event, audit } of record.entries) {
      doc.moveDown(0.3);
      line(`${humanDateTime(event.at)}  ${event.kind.toUpperCase()}`, 'Helvetica-Bold', 10);
      const who = [event.officer ?? 'the terminal', event.witness ? `witnessed by ${event.witness}` : null].filter((x) => x !== null).join(', ');
      line(`${who}${event.doorNumber === null ? '' : `; door ${event.doorNumber}`}; seals ${event.seals.join(', ') || '(none)'}${event.detail ? `; ${event.detail}` : ''}`);
      line(`Footage: ${event.footage ?? 'none requested'}`);
      line(`Audit row ${audit.seq} at ${audit.at}, ${audit.actor}, ${audit.action}, ${audit.subject}`, 'Courier', 7);
      line(`details ${audit.details}`, 'Courier', 7);
      line(`prev ${audit.prevHash}`, 'Courier', 7);
      line(`hash ${audit.hash}`, 'Courier', 7);
    }
    doc.moveDown(0.5);
    line('Signed checkpoint', 'Helvetica-Bold', 11);
    const c = record.checkpoint;
    if (c === null) line('No signed checkpoint: this terminal has no signing key. The rows above cannot be anchored.');
    else {
      line(`Row ${c.seq}, head ${c.headHash}, signed ${humanDateTime(c.at)} (${c.reason}) by terminal ${c.terminalId}, key ${c.keyFingerprint}.`, 'Courier', 7);
      line(`signature ${c.signature}`, 'Courier', 7);
    }
    if (record.publicKeyPem) line(record.publicKeyPem, 'Courier', 7);
    doc.moveDown(0.5);
    line(
      "To check this copy: recompute each row's hash as SHA-256 of prev, seq, at, actor, action, subject and details, one per line; check the checkpoint's signature with the terminal's public key (compare its fingerprint with the key the force holds); then check on the terminal that rows from the first event to the checkpoint's head are the same and unbroken (npm run audit:verify). The record is embedded in this file as continuity.json.",
    );
    doc.file(Buffer.from(JSON.stringify(record), 'utf8'), { name: 'continuity.json', type: 'application/json', description: 'The continuity record, as signed and hashed' });
    const pages = doc.bufferedPageRange();
    for (let i = 0; i < pages.count; i++) {
      doc.switchToPage(pages.start + i);
      doc.font('Helvetica').fontSize(8).text(`${title}. Page ${i + 1} of ${pages.count}`, doc.page.margins.left, doc.page.height - doc.page.margins.bottom - 10, { width, lineBreak: false });
    }
    doc.end();
  });
}
