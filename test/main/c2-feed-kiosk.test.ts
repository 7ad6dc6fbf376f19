import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/kiosk-harness.ts';
import { join, tempDir } from '../helpers/temp-db.ts';

const ALEX = { card: '04A1B2C3D4', pin: '1234' };
let h: Harness;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await h?.close();
  cleanup?.();
});

interface FeedDocument {
  schemaVersion: string;
  sequence: number;
  types: { assetType: string; armed: { collarNumber: string; serial: string }[]; available: { collarNumber: string }[] }[];
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the command-and-control feed follows the armoury', () => {
  it('publishes the armed/available picture at start and again when an officer draws a Taser', async () => {
    const dir = tempDir('armoury-c2-');
    cleanup = dir.cleanup;
    const out = join(dir.dir, 'c2-feed.json');
    h = await startHarness({}, undefined, { c2Feed: { webhook: null, file: out, terminalId: 'armoury-a-1' } });
    await until('the first document', () => existsSync(out));
    const read = () => JSON.parse(readFileSync(out, 'utf8')) as FeedDocument;
    const taser = () => read().types.find((t) => t.assetType === 'Taser 7');
    expect(read().schemaVersion).toBe('1.1');
    expect(taser()?.available.some((o) => o.collarNumber === 'PC 1234')).toBe(true);
    const first = read().sequence;

    await h.call('demoTapCard', { uid: ALEX.card });
    await h.waitFor((s) => s.screen.kind === 'pin');
    await h.call('submitPin', { pin: ALEX.pin });
    const type = h.latest()!.session!.drawOptions.find((o) => o.name === 'Taser 7')!;
    await h.call('startDraw', { assetTypeId: type.assetTypeId });
    await h.call('demoDoor', { doorNumber: 1, action: 'take-item' });
    await h.call('demoDoor', { doorNumber: 1, action: 'close' });
    await until('PC 1234 armed in the feed', () => taser()?.armed.some((o) => o.collarNumber === 'PC 1234') ?? false);
    expect(read().sequence).toBeGreaterThan(first);
    expect(taser()?.available.some((o) => o.collarNumber === 'PC 1234')).toBe(false);
  });
});
