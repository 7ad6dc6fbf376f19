import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PcscReaderHandle, PcscReaderState } from '../../../native-bridges/card-reader/pcsc-binding.ts';
import { createPcscLiteBinding } from '../../../native-bridges/card-reader/pcsc-lite.ts';
import type { PcscLiteSession } from '../../../native-bridges/card-reader/pcsc-lite.ts';
import { VpcdCard } from '../../../native-bridges/card-reader/vpcd-card.ts';
import { loadWinscard } from '../../../native-bridges/card-reader/winscard.ts';
import type { Winscard } from '../../../native-bridges/card-reader/winscard.ts';
import { missingForRealPcscd, startPcscd } from './pcscd-harness.ts';
import type { PcscdEnv } from './pcscd-harness.ts';

/**
 * The koffi binding itself against a real pcscd (pcsc.integration.test.ts drives it through
 * PcscCardReader): struct layout, out parameters, async calls, SCardCancel and error codes are
 * what libpcsclite.so.1 really does, not what a fake assumes.
 */

const missing = await missingForRealPcscd();
const WAIT = { timeout: 10_000, interval: 25 };

interface Watch {
  session: PcscLiteSession;
  readers: Map<string, PcscReaderHandle>;
  states: Map<string, PcscReaderState[]>;
  gone: string[];
  errors: Error[];
}

if (missing.length > 0) {
  describe('the pcsc-lite binding against a real pcscd with vsmartcard-vpcd', () => {
    it.skip(`skipped: install ${missing.join('; ')} (apt-get install -y pcscd vsmartcard-vpcd libpcsclite1)`, () => undefined);
  });
} else {
  describe('the pcsc-lite binding against a real pcscd with vsmartcard-vpcd', () => {
    let env: PcscdEnv;
    let winscard: Winscard;
    const sessions: PcscLiteSession[] = [];

    beforeAll(async () => {
      env = await startPcscd();
      // libpcsclite reads this once, on the first PC/SC call of the process (vitest forks per file).
      process.env.PCSCLITE_CSOCK_NAME = env.socketPath;
      winscard = await loadWinscard();
    }, 30_000);

    afterAll(async () => {
      for (const s of sessions) s.stop();
      await Promise.all(sessions.map((s) => s.closed));
      await env?.dispose();
    });

    /** A long status timeout, so that a prompt stop can only be SCardCancel's doing. */
    function watch(): Watch {
      const readers = new Map<string, PcscReaderHandle>();
      const states = new Map<string, PcscReaderState[]>();
      const gone: string[] = [];
      const errors: Error[] = [];
      const session = createPcscLiteBinding(winscard, { statusTimeoutMs: 30_000 }).start({
        onReader(reader) {
          readers.set(reader.name, reader);
          states.set(reader.name, []);
          reader.onChange((state) => states.get(reader.name)?.push(state));
          reader.onDisconnect(() => gone.push(reader.name));
        },
        onError: (error) => errors.push(error),
      }) as PcscLiteSession;
      sessions.push(session);
      return { session, readers, states, gone, errors };
    }

    it(`reports vpcd's two readers with their state, a card's arrival, and reads it through connect and transmit`, async () => {
      const { readers, states, errors } = watch();
      const first = `${env.readerName} 00 00`;
      await vi.waitFor(() => expect([...readers.keys()].sort()).toEqual([first, `${env.readerName} 00 01`]), WAIT);
      expect(states.get(first)?.[0]).toEqual({ present: false, mute: false, text: 'EMPTY' });

      const card = new VpcdCard({ uid: '04A1B2C3D4', port: env.vpcdPort });
      const apdus: string[] = [];
      card.onApdu(({ command, response }) => apdus.push(`${command}>${response}`));
      await card.insert();
      await vi.waitFor(() => expect(states.get(first)?.at(-1)).toMatchObject({ present: true, mute: false }), WAIT);

      const connection = await readers.get(first)!.connect();
      const response = await connection.transmit(Uint8Array.of(0xff, 0xca, 0x00, 0x00, 0x00));
      expect(Buffer.from(response).toString('hex').toUpperCase()).toBe('04A1B2C3D49000');
      // The card saw it: the APDU went through pcscd and vpcd, not a shortcut.
      expect(apdus).toEqual(['FFCA000000>04A1B2C3D49000']);
      await connection.disconnect();

      await card.remove();
      await vi.waitFor(() => expect(states.get(first)?.at(-1)).toMatchObject({ present: false }), WAIT);
      expect(states.get(`${env.readerName} 00 01`)).toEqual([{ present: false, mute: false, text: 'EMPTY' }]);
      expect(errors).toEqual([]);
    });

    it('connecting to an empty reader rejects with the PC/SC code', async () => {
      const { readers } = watch();
      const name = `${env.readerName} 00 01`;
      await vi.waitFor(() => expect(readers.has(name)).toBe(true), WAIT);
      await expect(readers.get(name)!.connect()).rejects.toMatchObject({ code: expect.stringMatching(/^SCARD_[EW]_/) });
    });

    it('stop() ends the blocked SCardGetStatusChange at once (SCardCancel), well before its 30 s timeout', async () => {
      const { session, readers, gone } = watch();
      await vi.waitFor(() => expect(readers.size).toBe(2), WAIT);
      // Let it settle into the wait.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const t0 = Date.now();
      session.stop();
      expect(gone.sort()).toEqual([...readers.keys()].sort());
      await session.closed;
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('pcscd stopping: onError with the PC/SC code, start() then throws SCARD_E_NO_SERVICE; it works again after a restart', async () => {
      const { session, readers, errors } = watch();
      await vi.waitFor(() => expect(readers.size).toBe(2), WAIT);
      await env.stop();
      await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
      expect(errors[0]).toMatchObject({ code: expect.stringMatching(/^SCARD_(F_COMM_ERROR|E_NO_SERVICE|E_SERVICE_STOPPED)$/) });
      await session.closed;
      const binding = createPcscLiteBinding(winscard);
      expect(() => binding.start({ onReader: () => undefined, onError: () => undefined })).toThrow(expect.objectContaining({ code: 'SCARD_E_NO_SERVICE' }));
      await env.restart();
      const again = watch();
      await vi.waitFor(() => expect(again.readers.size).toBe(2), WAIT);
      expect(again.errors).toEqual([]);
    }, 30_000);
  });
}
