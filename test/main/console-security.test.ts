import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' }; // officer

let h: Harness;
afterEach(async () => h?.close());

describe('the armourer console is closed to officers, checked in main', () => {
  it('refuses every console request without a session and from an officer', async () => {
    h = await startHarness();
    const query = { by: 'asset' as const, value: 'T7-0001', from: null, to: null };
    const attempts = async () => [
      await h.call('openConsole', {}),
      await h.call('getBoard', { category: null }),
      await h.call('getMobilisation', {}),
      await h.call('exportMobilisation', { format: 'csv' }),
      await h.call('getTimeline', query),
      await h.call('exportTimeline', { query, format: 'pdf' }),
      await h.call('getDashboard', {}),
      await h.call('getAuditAnchor', {}),
      await h.call('exportAuditPublicKey', {}),
      await h.call('assetAction', { asset: 'T7-0001', action: 'retire', reason: 'just because' }),
      await h.call('registerAsset', { assetTypeId: 1, serial: 'X-1', tag: 'TAG-X-1' }),
      await h.call('startStockCheck', {}),
      await h.call('finishStockCheck', {}),
      await h.call('getStockCheck', {}),
    ];
    for (const result of await attempts()) expect(result).toMatchObject({ ok: false, error: { kind: 'not-signed-in' } });
    await h.call('demoTapCard', { uid: ALEX.card });
    await h.waitFor((s) => s.screen.kind === 'pin');
    await h.call('submitPin', { pin: ALEX.pin });
    for (const result of await attempts()) {
      expect(result).toMatchObject({ ok: false, error: { kind: 'wrong-role', message: 'Only an armourer can use the armourer console.' } });
    }
  });
});
