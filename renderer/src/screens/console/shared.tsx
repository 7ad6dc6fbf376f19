import { useEffect, useRef } from 'react';
import type { ExportedFile } from '../../../../preload/contract.ts';
import { OutcomeRegions, type Outcome } from '../../components/OutcomeRegions.tsx';

export type { Outcome };

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** "21 Nov 2026, 07:42:13"; the raw string if unparseable. */
export function formatFull(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTimeFormat.format(date);
}

/** A `datetime-local` value ("2026-11-21T07:42", local time) as ISO-8601 UTC, or null when empty/invalid. */
export function localInputToIso(value: string): string | null {
  if (value.trim() === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Save a file main made: decode its base64 into a Blob and click a temporary `<a download>`. */
export function downloadFile(file: ExportedFile): void {
  const binary = window.atob(file.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.className = 'visually-hidden';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Words for a code such as "qualification-expired" → "Qualification expired". */
export function codeToWords(code: string): string {
  const words = code.replace(/[-_.]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The status and alert regions every console panel uses for its outcome. */
export function OutcomeMessages({ outcome, problem }: { outcome: Outcome | null; problem?: string | null }) {
  return <OutcomeRegions outcome={outcome} problem={problem ?? null} classPrefix="console" />;
}

/** A ref that is false once the component has gone, so late answers are dropped. */
export function useAlive(): { readonly current: boolean } {
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  return alive;
}
