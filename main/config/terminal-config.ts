import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DOOR_HOLDS, SIZE_CLASSES } from '../core/door-fit.ts';

/**
 * The terminal's hardware and policy settings: what this room has and how it behaves.
 * Transactional data (officers, assets, loans) never lives here; that is the database.
 *
 * Versioned: `schemaVersion` is bumped with every incompatible change, and
 * `migrateTerminalConfig` brings an older file forward before it is validated.
 */
export const TERMINAL_CONFIG_VERSION = 2;

/** How secrets read on screen and in logs; a masked value saved back means "keep the saved one". */
export const SECRET_MASK = '••••••••';

const devicePath = z.string().min(1).max(256).regex(/^\/[\w./+:@-]+$/, 'an absolute device path such as /dev/ttyUSB0');

/** Where a serial device is: a real port, or (demo and site acceptance) an in-process simulator. */
const serialLink = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('simulator') }).strict(),
  z.object({ kind: z.literal('serial'), path: devicePath, baudRate: z.number().int().positive().default(19200) }).strict(),
]);

const id = z.string().min(1).max(40).regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** What officers see a device called ("Taser lockers"), chosen by a site admin; ids and port paths are never shown to them. */
const displayName = z.string().trim().min(1).max(60).regex(/^[^/\\]+$/, 'a name for officers to read, such as "Taser lockers" (no paths)').optional();

const kerongBus = z
  .object({
    id,
    displayName,
    protocol: z.literal('kerong'),
    link: serialLink,
    pollIntervalMs: z.number().int().min(50).max(5000).default(250),
    boards: z
      .array(
        z
          .object({
            address: z.number().int().min(0).max(15),
            // Sources disagree on the bit polarity of KR-CU status replies, so it is per board.
            lockOpenWhenBitSet: z.boolean().default(true),
            itemPresentWhenBitSet: z.boolean().default(true),
          })
          .strict(),
      )
      .min(1)
      .max(16),
  })
  .strict();

const modbusBus = z
  .object({
    id,
    displayName,
    protocol: z.literal('modbus'),
    link: serialLink,
    pollIntervalMs: z.number().int().min(50).max(5000).default(250),
    slave: z.number().int().min(1).max(247).default(1),
    /** How long the strike relay is pulsed to release a door. */
    pulseMs: z.number().int().min(100).max(5000).default(700),
    /** Door sensors are discrete inputs; true when the input reads 1 for "open". */
    inputOpenWhenSet: z.boolean().default(true),
  })
  .strict();

const bus = z.discriminatedUnion('protocol', [kerongBus, modbusBus]);

/** What a door can take (main/core/door-fit.ts): its size class and what it may hold; default M, anything. */
const doorFit = {
  size: z.enum(SIZE_CLASSES).optional(),
  holds: z.enum(DOOR_HOLDS).optional(),
  /** The physical bank the door is in, when a room has several ("Stores lockers"): shown beside its number. */
  bank: z.string().trim().min(1).max(40).optional(),
};
const kerongDoor = z.object({ number: z.number().int().min(1).max(999), bus: id, board: z.number().int().min(0).max(15), lock: z.number().int().min(1).max(16), ...doorFit }).strict();
const modbusDoor = z.object({ number: z.number().int().min(1).max(999), bus: id, relay: z.number().int().min(1).max(32), input: z.number().int().min(1).max(32), ...doorFit }).strict();

const cardReader = z.discriminatedUnion('kind', [
  z.object({ id, displayName, kind: z.literal('simulator') }).strict(),
  z.object({ id, displayName, kind: z.literal('pcsc'), readerName: z.string().max(128).optional() }).strict(),
  z.object({ id, displayName, kind: z.literal('rdm6300'), link: serialLink }).strict(),
  z.object({ id, displayName, kind: z.literal('keyboard-wedge'), device: devicePath }).strict(),
]);

const scanner = z.discriminatedUnion('kind', [
  z.object({ id, displayName, kind: z.literal('simulator') }).strict(),
  z.object({ id, displayName, kind: z.literal('serial'), link: serialLink }).strict(),
  z.object({ id, displayName, kind: z.literal('hid'), device: devicePath }).strict(),
  // No evdev access: the scanner types into the kiosk window and the renderer's timing heuristic picks scans out.
  z.object({ id, displayName, kind: z.literal('keyboard-fallback') }).strict(),
]);

const host = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'a host name or IP address');
const secret = z.string().min(1).max(256);

const videoTrigger = z.discriminatedUnion('kind', [
  z
    .object({
      id,
      displayName,
      kind: z.literal('milestone'),
      host,
      // 0 with simulate: the in-process simulator takes any free loopback port.
      port: z.number().int().min(0).max(65535).default(1234),
      /** Demo and site acceptance: run the VMS simulator in-process and point this trigger at it. */
      simulate: z.boolean().default(false),
    })
    .strict()
    .refine((t) => t.port !== 0 || t.simulate, 'port 0 is only for a simulated VMS'),
  z.object({ id, displayName, kind: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }), secret: secret.refine((s) => s === SECRET_MASK || s.length >= 16, 'the shared secret must be at least 16 characters') }).strict(),
  z.object({ id, displayName, kind: z.literal('onvif'), url: z.url({ protocol: /^https?$/ }), username: z.string().min(1).max(64), password: secret, relayToken: z.string().min(1).max(64), pulseMs: z.number().int().min(100).max(10_000).default(1000) }).strict(),
  z.object({ id, displayName, kind: z.literal('usb-relay'), relay: z.number().int().min(1).max(8), pulseMs: z.number().int().min(100).max(10_000).default(500) }).strict(),
]);

/** Plain http is for a test server on this machine; anything else must be TLS. */
const isLoopback = (hostname: string): boolean => hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

/** An https URL, or plain http to this machine only (a test server). */
const httpsUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => {
    const url = new URL(u);
    return url.protocol === 'https:' || isLoopback(url.hostname);
  }, 'https only (plain http only to this machine, for tests)');

const trainingPull = z
  .object({
    /** The LMS export. Query parameters are never shown as the import's source (they may carry a token). */
    url: httpsUrl
      .refine((u) => {
        const url = new URL(u);
        return url.username === '' && url.password === '';
      }, 'put credentials in authHeader, not in the URL'),
    /** Sent as the Authorization header, e.g. "Bearer …". A secret: masked in views. One line, so it cannot add headers. */
    authHeader: z.string().min(1).max(4096).regex(/^[^\r\n]+$/, 'one line, such as "Bearer <token>"'),
    intervalMinutes: z.number().int().min(5).max(1440).default(60),
  })
  .strict();

/** An HTTPS endpoint the terminal POSTs signed JSON to (the C2 feed, audit checkpoints). */
const signedWebhookEndpoint = z
  .object({
    url: httpsUrl,
    /**
     * HMAC key for X-Armoury-Signature; the only proof to the far end that the body came from this kiosk. Masked in views.
     * The mask itself is let through because the admin screen validates before unmasking; the sender refuses to sign with it.
     */
    secret: z
      .string()
      .max(256)
      .refine((s) => s === SECRET_MASK || s.length >= 16, 'the shared secret must be at least 16 characters'),
  })
  .strict();

/** A system allowed to book through the booking endpoint: its name (sent in X-Armoury-System) and its HMAC key. */
const bookingSystem = z
  .object({
    name: z.string().regex(/^[a-z0-9-]{2,40}$/, '2 to 40 lower-case letters, digits and dashes, such as "duty-planner"'),
    /** HMAC key for X-Armoury-Signature on its requests; masked in views. The mask is let through as for signedWebhookEndpoint. */
    secret: z
      .string()
      .max(256)
      .refine((s) => s === SECRET_MASK || s.length >= 16, 'the shared secret must be at least 16 characters'),
  })
  .strict();

/** Bookings (docs/bookings.md): who is told about them, and the endpoint other systems book through. */
const bookingsSection = z
  .object({
    /** Told when a booking is ready, nearly expired, expired or collected; null: nobody is. */
    notifyWebhook: signedWebhookEndpoint.nullable().default(null),
    /** A staged booking this many minutes before its deadline is announced as expiring. */
    expiringNoticeMinutes: z.number().int().min(5).max(1440).default(60),
    /** Plain HTTP on this machine by default: the force's TLS proxy sits in front of it. Null: no endpoint. */
    endpoint: z
      .object({
        port: z.number().int().min(1024).max(65535),
        host: host.default('127.0.0.1'),
        systems: z
          .array(bookingSystem)
          .min(1)
          .max(20)
          .refine((systems) => new Set(systems.map((s) => s.name)).size === systems.length, 'two systems share a name'),
      })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

export const terminalConfigSchema = z
  .object({
    schemaVersion: z.literal(TERMINAL_CONFIG_VERSION),
    terminalName: z.string().min(1).max(80),
    policy: z
      .object({
        idleTimeoutSeconds: z.number().int().min(5).max(3600).default(60),
        idleWarningSeconds: z.number().int().min(1).max(600).default(15),
        /**
         * After a completed draw, return or swap the done screen counts down this many seconds, then
         * signs the officer out unless they stay: the draw from the idle screen is card, PIN, Enter and
         * one touch. 0 turns it off (the officer presses Finish and signs out themselves).
         */
        doneSignOutSeconds: z.number().int().min(0).max(60).default(5),
        expiryWarningDays: z.number().int().min(0).max(365).default(30),
        lockoutFailures: z.number().int().min(1).max(20).default(5),
        lockoutMinutes: z.number().int().min(1).max(1440).default(15),
        doorOpenConfirmMs: z.number().int().min(200).max(10_000).default(1500),
        /** A door open longer than this raises a door-left-open exception. */
        doorLeftOpenSeconds: z.number().int().min(5).max(3600).default(60),
        /** How often loans are checked against their due time. */
        overdueCheckSeconds: z.number().int().min(1).max(3600).default(60),
        /** A training record's expiry may be at most this many years after its award; a later one is refused as a slip. */
        trainingExpiryHorizonYears: z.number().int().min(1).max(50).default(10),
        /** An audit checkpoint is signed after this many rows (and at every sign-out)... */
        auditCheckpointEveryRows: z.number().int().min(1).max(100_000).default(500),
        /** ...and after this many minutes if any row was written since the last one. */
        auditCheckpointEveryMinutes: z.number().int().min(1).max(1440).default(15),
        /** With an estate configured: how old its reference data may be before weapons are refused (hours). */
        referenceMaxAgeHours: z.number().int().min(1).max(720).default(24),
        /** An exhibit behind its door longer than this raises an exception for the property store (PCD 1698). */
        exhibitDwellHours: z.number().int().min(1).max(720).default(24),
        /** Refusals an armourer may override (suspension, restriction and stock never are by default). */
        overridableRefusals: z
          .array(z.enum(['qualification-expired', 'qualification-missing', 'role-required', 'unit-not-authorised', 'limit-reached', 'reference-stale']))
          .default(['qualification-expired']),
        /** The reason codes an armourer chooses from when overriding (removed codes stay on past overrides). */
        overrideReasons: z
          .array(z.object({ code: z.string().min(2).max(40).regex(/^[A-Z0-9-]+$/, 'upper-case letters, digits and dashes'), label: z.string().min(3).max(120) }).strict())
          .min(1)
          .default([
            { code: 'SPONTANEOUS-INCIDENT', label: 'Spontaneous incident: immediate deployment' },
            { code: 'REFRESHER-BOOKED', label: 'Refresher passed or booked; record not yet updated' },
            { code: 'RECORD-ERROR', label: 'Training record known to be wrong' },
            { code: 'AUTHORISED-BY-INSPECTOR', label: 'Authorised by the duty inspector' },
          ])
          .refine((reasons) => new Set(reasons.map((r) => r.code)).size === reasons.length, 'two override reasons share a code'),
      })
      .strict()
      .refine((p) => p.idleWarningSeconds < p.idleTimeoutSeconds, 'idleWarningSeconds must be shorter than idleTimeoutSeconds')
      // A done screen never keeps a session longer than leaving it idle would.
      .refine((p) => p.doneSignOutSeconds < p.idleTimeoutSeconds, 'doneSignOutSeconds must be shorter than idleTimeoutSeconds'),
    lockerBank: z
      .object({
        name: z.string().min(1).max(80),
        displayName,
        buses: z.array(bus).min(1),
        doors: z.array(z.union([kerongDoor, modbusDoor])).min(1),
      })
      .strict()
      .superRefine((bank, ctx) => {
        const buses = new Map(bank.buses.map((b) => [b.id, b]));
        if (buses.size !== bank.buses.length) ctx.addIssue({ code: 'custom', message: 'two buses share an id' });
        const numbers = new Set<number>();
        const outputs = new Set<string>();
        for (const door of bank.doors) {
          const where = `door ${door.number}`;
          const b = buses.get(door.bus);
          if (!b) ctx.addIssue({ code: 'custom', message: `${where} is on bus "${door.bus}", which is not configured` });
          else if ('board' in door) {
            if (b.protocol !== 'kerong') ctx.addIssue({ code: 'custom', message: `${where} gives a board and lock, but bus "${b.id}" is Modbus (give relay and input)` });
            else if (!b.boards.some((x) => x.address === door.board)) ctx.addIssue({ code: 'custom', message: `${where} is on board ${door.board}, which bus "${b.id}" does not list` });
          } else if (b.protocol !== 'modbus') ctx.addIssue({ code: 'custom', message: `${where} gives a relay and input, but bus "${b.id}" is Kerong (give board and lock)` });
          if (numbers.has(door.number)) ctx.addIssue({ code: 'custom', message: `${where} appears twice` });
          const output = 'board' in door ? `${door.bus}/${door.board}/${door.lock}` : `${door.bus}/relay${door.relay}`;
          if (outputs.has(output)) ctx.addIssue({ code: 'custom', message: `${where} uses a lock or relay already used by another door` });
          numbers.add(door.number);
          outputs.add(output);
        }
      }),
    cardReaders: z.array(cardReader).min(1),
    scanners: z.array(scanner),
    video: z
      .object({
        /** required: no release while a trigger is down; best-effort: release and raise an exception; off: none. */
        policy: z.enum(['required', 'best-effort', 'off']).default('off'),
        camera: z.string().min(1).max(40).regex(/^\S+$/).default('CAM-1'),
        triggers: z.array(videoTrigger).default([]),
      })
      .strict()
      .default({ policy: 'off', camera: 'CAM-1', triggers: [] }),
    /** Where training records exports arrive from: a watched folder and/or a scheduled HTTPS pull. */
    training: z
      .object({
        /** Exports dropped here (a share the LMS writes to) are imported, then moved to processed/ or rejected/. */
        dropFolder: z.string().min(1).max(1024).refine(isAbsolute, 'an absolute folder path such as /srv/training-drop').nullable().default(null),
        pull: trainingPull.nullable().default(null),
      })
      .strict()
      .default({ dropFolder: null, pull: null }),
    /** The command-and-control feed (docs/c2-feed.md): the armed/available picture, pushed to C2 on every change. */
    c2Feed: z
      .object({
        webhook: signedWebhookEndpoint.nullable().default(null),
        /** A file the C2 side reads (a share, a sync folder); replaced atomically, so never half-written. */
        file: z.string().min(1).max(1024).refine(isAbsolute, 'an absolute file path such as /srv/c2/armoury.json').nullable().default(null),
        /** Stable across renames of the terminal: C2 keys its picture and the idempotency keys by it. */
        terminalId: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dots, dashes and underscores').default('terminal-1'),
      })
      .strict()
      .default({ webhook: null, file: null, terminalId: 'terminal-1' }),
    /**
     * Where each signed audit checkpoint is sent off the terminal (see "Audit anchoring" in the
     * README): a webhook, and a JSON-lines file in a folder that should be on another volume.
     * The checkpoints carry c2Feed.terminalId, the terminal's one stable id.
     */
    auditAnchor: z
      .object({
        webhook: signedWebhookEndpoint.nullable().default(null),
        directory: z.string().min(1).max(1024).refine(isAbsolute, 'an absolute folder path on another volume, such as /mnt/audit-anchor').nullable().default(null),
      })
      .strict()
      .default({ webhook: null, directory: null }),
    bookings: bookingsSection.default({ notifyWebhook: null, expiringNoticeMinutes: 60, endpoint: null }),
    /**
     * The estate's PostgreSQL (README "The estate"): this terminal's login role there, from
     * `npm run estate -- add-terminal`. Null: the terminal stands alone, as before.
     */
    estate: z
      .object({
        /** postgresql://ROLE@HOST:PORT/armoury_estate: the role and server, without the password. */
        url: z
          .string()
          .max(2048)
          .refine((u) => URL.canParse(u) && ['postgres:', 'postgresql:'].includes(new URL(u).protocol), 'a postgresql:// URL, such as postgresql://terminal_north_1@estate.example:5432/armoury_estate')
          .refine((u) => !URL.canParse(u) || (new URL(u).password === '' && new URL(u).username !== ''), 'name the role in the URL and give its password in password, not in the URL'),
        /** The role's password. A secret: masked in views. */
        password: secret,
      })
      .strict()
      .nullable()
      .default(null),
  })
  .strict();

export type TerminalConfig = z.infer<typeof terminalConfigSchema>;
export type LockerBus = TerminalConfig['lockerBank']['buses'][number];
export type DoorLayout = TerminalConfig['lockerBank']['doors'][number];
export type CardReaderConfig = TerminalConfig['cardReaders'][number];
export type ScannerConfig = TerminalConfig['scanners'][number];
export type VideoTriggerConfig = TerminalConfig['video']['triggers'][number];
export type BookingsConfig = TerminalConfig['bookings'];
export type BookingEndpointConfig = NonNullable<BookingsConfig['endpoint']>;

export class ConfigError extends Error {
  constructor(where: string, detail: string) {
    super(`Terminal configuration ${where} is not valid: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Bring a configuration written by an older version forward, one version at a time.
 * Version 1 (no schemaVersion): one Kerong bus implied by `lockerBank.link/boards`,
 * `cardReader`/`scanner` singular.
 */
export function migrateTerminalConfig(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  let config: Json = raw;
  if (config.schemaVersion === undefined) {
    const bank = isObject(config.lockerBank) ? config.lockerBank : {};
    const { link, pollIntervalMs, boards, doors, protocol: _protocol, ...restOfBank } = bank;
    const { cardReader, scanner, ...rest } = config;
    config = {
      ...rest,
      schemaVersion: 2,
      lockerBank: {
        ...restOfBank,
        buses: [{ id: 'bus-a', protocol: 'kerong', link, pollIntervalMs, boards }],
        doors: Array.isArray(doors) ? doors.map((d: unknown) => (isObject(d) ? { ...d, bus: 'bus-a' } : d)) : doors,
      },
      cardReaders: cardReader === undefined ? [] : [{ id: 'card-reader', ...(isObject(cardReader) ? cardReader : {}) }],
      scanners: scanner === undefined ? [] : [{ id: 'scanner', ...(isObject(scanner) ? scanner : {}) }],
    };
  }
  return config;
}

export type ConfigCheck = { ok: true; config: TerminalConfig } | { ok: false; problems: string[] };

/** Migrate and validate, listing every problem (the admin screen shows them all at once). */
export function checkTerminalConfig(raw: unknown): ConfigCheck {
  const parsed = terminalConfigSchema.safeParse(migrateTerminalConfig(raw));
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`) };
}

/** Every field that holds a secret, so views and logs can mask them. */
export function maskSecrets(config: TerminalConfig): TerminalConfig {
  return {
    ...config,
    video: {
      ...config.video,
      triggers: config.video.triggers.map((t) =>
        t.kind === 'webhook' ? { ...t, secret: SECRET_MASK } : t.kind === 'onvif' ? { ...t, password: SECRET_MASK } : t,
      ),
    },
    training: { ...config.training, pull: config.training.pull && { ...config.training.pull, authHeader: SECRET_MASK } },
    c2Feed: { ...config.c2Feed, webhook: config.c2Feed.webhook && { ...config.c2Feed.webhook, secret: SECRET_MASK } },
    auditAnchor: { ...config.auditAnchor, webhook: config.auditAnchor.webhook && { ...config.auditAnchor.webhook, secret: SECRET_MASK } },
    estate: config.estate && { ...config.estate, password: SECRET_MASK },
    bookings: {
      ...config.bookings,
      notifyWebhook: config.bookings.notifyWebhook && { ...config.bookings.notifyWebhook, secret: SECRET_MASK },
      endpoint: config.bookings.endpoint && { ...config.bookings.endpoint, systems: config.bookings.endpoint.systems.map((s) => ({ ...s, secret: SECRET_MASK })) },
    },
  };
}

/** Put back secrets the admin left masked, from the saved configuration. */
export function unmaskSecrets(edited: TerminalConfig, saved: TerminalConfig): TerminalConfig {
  const savedTriggers = new Map(saved.video.triggers.map((t) => [t.id, t]));
  return {
    ...edited,
    video: {
      ...edited.video,
      triggers: edited.video.triggers.map((t) => {
        const before = savedTriggers.get(t.id);
        if (t.kind === 'webhook' && t.secret === SECRET_MASK && before?.kind === 'webhook') return { ...t, secret: before.secret };
        if (t.kind === 'onvif' && t.password === SECRET_MASK && before?.kind === 'onvif') return { ...t, password: before.password };
        return t;
      }),
    },
    training: { ...edited.training, pull: unmaskPull(edited.training.pull, saved.training.pull) },
    c2Feed: { ...edited.c2Feed, webhook: unmaskC2Webhook(edited.c2Feed.webhook, saved.c2Feed.webhook) },
    auditAnchor: { ...edited.auditAnchor, webhook: unmaskC2Webhook(edited.auditAnchor.webhook, saved.auditAnchor.webhook) },
    // The saved password goes back only to the same server and role.
    estate: edited.estate && edited.estate.password === SECRET_MASK && saved.estate && edited.estate.url === saved.estate.url ? { ...edited.estate, password: saved.estate.password } : edited.estate,
    bookings: {
      ...edited.bookings,
      notifyWebhook: unmaskC2Webhook(edited.bookings.notifyWebhook, saved.bookings.notifyWebhook),
      endpoint: edited.bookings.endpoint && { ...edited.bookings.endpoint, systems: unmaskBookingSystems(edited.bookings.endpoint.systems, saved.bookings.endpoint?.systems ?? []) },
    },
  };
}

type BookingSystemConfig = z.infer<typeof bookingSystem>;

/** A system's saved secret goes back to the system of the same name only: a new or renamed system must be given its own. */
function unmaskBookingSystems(edited: readonly BookingSystemConfig[], saved: readonly BookingSystemConfig[]): BookingSystemConfig[] {
  const savedByName = new Map(saved.map((s) => [s.name, s]));
  return edited.map((s) => {
    const before = savedByName.get(s.name);
    return s.secret === SECRET_MASK && before ? { ...s, secret: before.secret } : s;
  });
}

type C2WebhookConfig = z.infer<typeof signedWebhookEndpoint>;

/**
 * As for the training pull: the saved secret goes back only to the same origin, so pointing the
 * feed elsewhere while leaving the secret masked cannot hand the key to another host. Left
 * masked, the feed refuses to sign with the mask and logs why (see C2Feed.start).
 */
function unmaskC2Webhook(edited: C2WebhookConfig | null, saved: C2WebhookConfig | null): C2WebhookConfig | null {
  if (!edited || edited.secret !== SECRET_MASK || !saved) return edited;
  return new URL(edited.url).origin === new URL(saved.url).origin ? { ...edited, secret: saved.secret } : edited;
}

type TrainingPullConfig = NonNullable<TerminalConfig['training']['pull']>;

/**
 * The saved auth header goes back only to the same origin: a masked header left in place
 * while the URL is pointed elsewhere would otherwise hand the LMS token to another host.
 * Left masked, the puller refuses to send it and says so.
 */
function unmaskPull(edited: TrainingPullConfig | null, saved: TrainingPullConfig | null): TrainingPullConfig | null {
  if (!edited || edited.authHeader !== SECRET_MASK || !saved) return edited;
  return new URL(edited.url).origin === new URL(saved.url).origin ? { ...edited, authHeader: saved.authHeader } : edited;
}

/** Secrets still masked after unmasking: new triggers or endpoints whose secret was never given. */
export function secretsStillMasked(config: TerminalConfig): string[] {
  const problems: string[] = [];
  for (const t of config.video.triggers) {
    if ((t.kind === 'webhook' && t.secret === SECRET_MASK) || (t.kind === 'onvif' && t.password === SECRET_MASK)) {
      problems.push(`video.triggers.${t.id}: give the secret (the masked value only keeps a secret already saved for this trigger)`);
    }
  }
  if (config.training.pull?.authHeader === SECRET_MASK) problems.push('training.pull.authHeader: give the header (the masked value only keeps one already saved for this URL)');
  if (config.c2Feed.webhook?.secret === SECRET_MASK) problems.push('c2Feed.webhook.secret: give the secret (the masked value only keeps one already saved for this URL)');
  if (config.auditAnchor.webhook?.secret === SECRET_MASK) problems.push('auditAnchor.webhook.secret: give the secret (the masked value only keeps one already saved for this URL)');
  if (config.bookings.notifyWebhook?.secret === SECRET_MASK) problems.push('bookings.notifyWebhook.secret: give the secret (the masked value only keeps one already saved for this URL)');
  for (const s of config.bookings.endpoint?.systems ?? []) {
    if (s.secret === SECRET_MASK) problems.push(`bookings.endpoint.systems.${s.name}: give the secret (the masked value only keeps one already saved for this system)`);
  }
  if (config.estate?.password === SECRET_MASK) problems.push('estate.password: give the password (the masked value only keeps one already saved for this URL)');
  return problems;
}
