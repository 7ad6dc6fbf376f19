import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { PcscCardReader } from '../../../native-bridges/card-reader/pcsc-reader.ts';
import { VpcdCard } from '../../../native-bridges/card-reader/vpcd-card.ts';
import { missingForRealPcscd, startPcscd } from './pcscd-harness.ts';
import type { PcscdEnv } from './pcscd-harness.ts';

/** A card whose reader chip refuses GET DATA, as some non-ISO 14443 cards make it do. */
class RefusingCard extends VpcdCard {
  override respond(): Buffer {
    return Buffer.of(0x6a, 0x81);
  }
}

const missing = await missingForRealPcscd();
const WAIT = { timeout: 10_000, interval: 25 };

if (missing.length > 0) {
  describe('PcscCardReader against a real pcscd with vsmartcard-vpcd', () => {
    it.skip(`skipped: install ${missing.join('; ')} (apt-get install -y pcscd vsmartcard-vpcd libpcsclite1)`, () => undefined);
  });
} else {
  describe('PcscCardReader against a real pcscd with vsmartcard-vpcd', () => {
    let env: PcscdEnv;
    let reader: PcscCardReader;
    const cards: string[] = [];
    const healths: LinkHealth[] = [];

    beforeAll(async () => {
      env = await startPcscd();
      // libpcsclite reads this once, on the first PC/SC call of the process (vitest forks per file).
      process.env.PCSCLITE_CSOCK_NAME = env.socketPath;
      reader = new PcscCardReader({ readerName: env.readerName, retryMs: 200, timeoutMs: 5000 });
      reader.onCard((uid) => cards.push(uid));
      reader.onHealth((h) => healths.push(h));
      await vi.waitFor(() => expect(reader.readerNames()).toHaveLength(2), WAIT);
    }, 30_000);

    afterAll(async () => {
      await reader?.close();
      await env?.dispose();
    });

    it(`sees vpcd's two readers and is online`, () => {
      expect(reader.readerNames().sort()).toEqual([`${env.readerName} 00 00`, `${env.readerName} 00 01`]);
      expect(reader.health()).toEqual({ state: 'online', lastError: null });
    });

    it('a card put on the reader is read with GET DATA and emitted once while it stays', async () => {
      const card = new VpcdCard({ uid: '04A1B2C3D4', port: env.vpcdPort });
      const apdus: string[] = [];
      card.onApdu(({ command, response }) => apdus.push(`${command}>${response}`));
      await card.insert();
      await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4']), WAIT);
      expect(apdus).toEqual(['FFCA000000>04A1B2C3D49000']);
      // pcscd keeps polling the card (GET ATR) and reports it powered down after we let go:
      // none of that is a new tap.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(cards).toEqual(['04A1B2C3D4']);
      await card.remove();
    });

    it('lifted and tapped again, it is emitted again; a 7-byte UID on the second reader too', async () => {
      cards.length = 0;
      const again = new VpcdCard({ uid: '04A1B2C3D4', port: env.vpcdPort });
      await again.insert();
      await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4']), WAIT);
      await again.remove();
      const other = new VpcdCard({ uid: '04112233445566', port: env.vpcdPort + 1 });
      await other.insert();
      await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4', '04112233445566']), WAIT);
      await other.remove();
    });

    it('a card that refuses GET DATA makes the reader degraded with the SW; a good card brings it back', async () => {
      cards.length = 0;
      const bad = new RefusingCard({ uid: '04A1B2C3', port: env.vpcdPort });
      await bad.insert();
      await vi.waitFor(() => expect(reader.health().state).toBe('degraded'), WAIT);
      expect(reader.health().lastError).toContain('6A81');
      await bad.remove();
      const good = new VpcdCard({ uid: 'A1B2C3D4', port: env.vpcdPort });
      await good.insert();
      await vi.waitFor(() => expect(cards).toEqual(['A1B2C3D4']), WAIT);
      expect(reader.health()).toEqual({ state: 'online', lastError: null });
      await good.remove();
    });

    it('pcscd stopping takes it offline without throwing; it comes back on its own when pcscd does', async () => {
      await env.stop();
      await vi.waitFor(() => expect(reader.health().state).toBe('offline'), WAIT);
      expect(reader.health().lastError).toMatch(/pcscd/);
      await env.restart();
      await vi.waitFor(() => expect(reader.health().state).toBe('online'), WAIT);
      cards.length = 0;
      const card = new VpcdCard({ uid: '04A1B2C3D4', port: env.vpcdPort });
      await card.insert();
      await vi.waitFor(() => expect(cards).toEqual(['04A1B2C3D4']), WAIT);
      await card.remove();
    }, 30_000);
  });
}
