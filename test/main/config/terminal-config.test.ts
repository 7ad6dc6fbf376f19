import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileConfigStore } from '../../../main/config/config-store.ts';
import { checkTerminalConfig, maskSecrets, SECRET_MASK, secretsStillMasked, unmaskSecrets, type TerminalConfig } from '../../../main/config/terminal-config.ts';
import { RESOURCES } from '../../helpers/kiosk-harness.ts';
import { join, tempDir } from '../../helpers/temp-db.ts';

const defaults = (): Record<string, unknown> => JSON.parse(readFileSync(join(RESOURCES, 'default-terminal-config.json'), 'utf8')) as Record<string, unknown>;

function valid(raw: unknown): TerminalConfig {
  const checked = checkTerminalConfig(raw);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.config;
}

describe('terminal configuration', () => {
  it('the shipped default is valid', () => {
    expect(valid(defaults()).lockerBank.doors).toHaveLength(16);
  });

  it('migrates a version 1 file (the walking skeleton) to version 2', () => {
    const v1 = {
      terminalName: 'Old terminal',
      policy: { idleTimeoutSeconds: 60, idleWarningSeconds: 15, expiryWarningDays: 30, lockoutFailures: 5, lockoutMinutes: 15, doorOpenConfirmMs: 1500 },
      lockerBank: {
        name: 'Locker bank A',
        protocol: 'kerong',
        link: { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 19200 },
        pollIntervalMs: 250,
        boards: [{ address: 0, lockOpenWhenBitSet: false, itemPresentWhenBitSet: true }],
        doors: [{ number: 1, board: 0, lock: 1 }, { number: 2, board: 0, lock: 2 }],
      },
      cardReader: { kind: 'simulator' },
      scanner: { kind: 'simulator' },
    };
    const config = valid(v1);
    expect(config.schemaVersion).toBe(2);
    expect(config.lockerBank.buses).toEqual([
      { id: 'bus-a', protocol: 'kerong', link: { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 19200 }, pollIntervalMs: 250, boards: [{ address: 0, lockOpenWhenBitSet: false, itemPresentWhenBitSet: true }] },
    ]);
    expect(config.lockerBank.doors[1]).toEqual({ number: 2, bus: 'bus-a', board: 0, lock: 2 });
    expect(config.cardReaders).toEqual([{ id: 'card-reader', kind: 'simulator' }]);
    expect(config.policy.doorLeftOpenSeconds).toBe(60); // new field, defaulted
    expect(config.policy.doneSignOutSeconds).toBe(5);
    expect(config.video.policy).toBe('off');
  });

  it('lists every problem at once, in words an admin can act on', () => {
    const raw = defaults() as { lockerBank: { doors: Record<string, unknown>[] } };
    raw.lockerBank.doors.push({ number: 17, bus: 'bus-z', board: 0, lock: 1 });
    raw.lockerBank.doors.push({ number: 1, bus: 'bus-a', board: 0, lock: 9 });
    raw.lockerBank.doors.push({ number: 18, bus: 'bus-a', relay: 1, input: 1 });
    const checked = checkTerminalConfig(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.problems).toEqual(
        expect.arrayContaining([
          expect.stringContaining('door 17 is on bus "bus-z", which is not configured'),
          expect.stringContaining('door 1 appears twice'),
          expect.stringContaining('door 18 gives a relay and input, but bus "bus-a" is Kerong'),
        ]),
      );
    }
  });

  it('takes the done screen\'s countdown in whole seconds, 0 to turn it off, and shorter than the idle timeout', () => {
    const withDone = (doneSignOutSeconds: unknown) => {
      const raw = defaults() as { policy: Record<string, unknown> };
      raw.policy = { ...raw.policy, doneSignOutSeconds };
      return checkTerminalConfig(raw);
    };
    expect(withDone(0)).toMatchObject({ ok: true, config: { policy: { doneSignOutSeconds: 0 } } });
    expect(withDone(30)).toMatchObject({ ok: true, config: { policy: { doneSignOutSeconds: 30 } } });
    for (const bad of [-1, 2.5, '5']) expect(withDone(bad).ok, String(bad)).toBe(false);
    const tooLong = withDone(60); // the shipped idle timeout is 60 s
    expect(tooLong.ok).toBe(false);
    if (!tooLong.ok) expect(tooLong.problems.join('\n')).toContain('doneSignOutSeconds must be shorter than idleTimeoutSeconds');
  });

  it('refuses relative device paths and unknown fields', () => {
    const raw = defaults() as { lockerBank: { buses: Record<string, unknown>[] }; extra?: number };
    raw.lockerBank.buses[0] = { ...raw.lockerBank.buses[0], link: { kind: 'serial', path: 'ttyUSB0', baudRate: 9600 } };
    raw.extra = 1;
    const checked = checkTerminalConfig(raw);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problems.join('\n')).toMatch(/absolute device path[\s\S]*extra|extra[\s\S]*absolute device path/);
  });

  it('masks secrets for display and keeps them when the masked value comes back', () => {
    const raw = defaults() as { video: Record<string, unknown> };
    raw.video = { policy: 'required', camera: 'CAM-2', triggers: [{ id: 'vms', kind: 'webhook', url: 'https://vms.example/hook', secret: 's3cret-value-0123456789' }] };
    const saved = valid(raw);
    const masked = maskSecrets(saved);
    expect(JSON.stringify(masked)).not.toContain('s3cret-value-0123456789');
    expect(masked.video.triggers[0]).toMatchObject({ secret: SECRET_MASK });
    expect(unmaskSecrets(masked, saved).video.triggers[0]).toMatchObject({ secret: 's3cret-value-0123456789' });
    const replaced = { ...masked, video: { ...masked.video, triggers: [{ ...masked.video.triggers[0]!, secret: 'new' }] } } as TerminalConfig;
    expect(unmaskSecrets(replaced, saved).video.triggers[0]).toMatchObject({ secret: 'new' });
  });

  it('gives an existing file the bookings defaults, checks the section, and masks its secrets like the C2 webhook', () => {
    expect(valid(defaults()).bookings).toEqual({ notifyWebhook: null, expiringNoticeMinutes: 60, endpoint: null });
    const raw = defaults();
    raw.bookings = {
      notifyWebhook: { url: 'https://bookings.force.example/notices', secret: 'notice-secret-0123456789' },
      expiringNoticeMinutes: 30,
      endpoint: { port: 8443, systems: [{ name: 'duty-planner', secret: 'planner-secret-0123456789' }, { name: 'stores-system', secret: 'stores-secret-0123456789' }] },
    };
    const saved = valid(raw);
    expect(saved.bookings.endpoint?.host).toBe('127.0.0.1');
    const masked = maskSecrets(saved);
    expect(JSON.stringify(masked)).not.toMatch(/notice-secret|planner-secret|stores-secret/);
    // Validated as the admin screen does (the mask passes), then unmasked: every secret comes back.
    expect(unmaskSecrets(valid(JSON.parse(JSON.stringify(masked))), saved).bookings).toEqual(saved.bookings);
    // A renamed system, or the webhook pointed at another origin, does not inherit a secret.
    const moved = structuredClone(masked);
    moved.bookings.endpoint!.systems[0]!.name = 'rota-system';
    moved.bookings.notifyWebhook!.url = 'https://elsewhere.example/notices';
    const unmasked = unmaskSecrets(moved, saved);
    expect(unmasked.bookings.endpoint?.systems.map((s) => s.secret)).toEqual([SECRET_MASK, 'stores-secret-0123456789']);
    expect(unmasked.bookings.notifyWebhook?.secret).toBe(SECRET_MASK);
    expect(secretsStillMasked(unmasked)).toEqual([
      'bookings.notifyWebhook.secret: give the secret (the masked value only keeps one already saved for this URL)',
      'bookings.endpoint.systems.rota-system: give the secret (the masked value only keeps one already saved for this system)',
    ]);
    const bad = checkTerminalConfig({ ...defaults(), bookings: { expiringNoticeMinutes: 2, endpoint: { port: 80, systems: [{ name: 'A', secret: 'short' }] } } });
    expect(bad.ok ? [] : bad.problems).toEqual([
      'bookings.expiringNoticeMinutes: Too small: expected number to be >=5',
      'bookings.endpoint.port: Too small: expected number to be >=1024',
      'bookings.endpoint.systems.0.name: 2 to 40 lower-case letters, digits and dashes, such as "duty-planner"',
      'bookings.endpoint.systems.0.secret: the shared secret must be at least 16 characters',
    ]);
  });
});

describe('JSON file store', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('reads the shipped default until a configuration is saved, then its own file', () => {
    const store = new JsonFileConfigStore(join(dir, 'terminal-config.json'), join(RESOURCES, 'default-terminal-config.json'));
    const config = store.load();
    expect(config.terminalName).toBe('Armoury A, terminal 1');
    store.save({ ...config, terminalName: 'Renamed' });
    expect(new JsonFileConfigStore(join(dir, 'terminal-config.json')).load().terminalName).toBe('Renamed');
  });

  it('names the file and the problem when the saved file is bad', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{ "terminalName": ');
    expect(() => new JsonFileConfigStore(path).load()).toThrow(/bad\.json is not valid/);
  });
});
