import type { AuditAction, AuditDetails } from './audit-actions.ts';
import { humanDate, humanTime, localDate } from './dates.ts';
import type { IntentKind } from './intent-table.ts';

/**
 * One plain past-tense sentence per audit row, for the console's timeline and its CSV and
 * PDF exports: who (collar number and name, or "the terminal"), did what, to which item
 * (type and serial), where (door) and why (reason, note, outcome), from the row's typed
 * details. SENTENCES has an entry for every action in AuditDetails, so a new action does
 * not compile until it has its sentence.
 *
 * Details are read back from stored JSON (rows from older versions, or a row somebody
 * forged), so every field is read defensively: a field that is missing or of the wrong
 * type reads as unknown, never as a crash or as "undefined" in the sentence.
 */

export interface SentenceRow {
  actor: string;
  action: string;
  subject: string;
}

/** Names the sentences need, fetched once per timeline for every row in it (see namesNeeded). */
export interface TimelineNames {
  officers: Map<number, { collar: string; name: string }>;
  assets: Map<number, { serial: string; typeName: string }>;
  types: Map<number, string>;
}

/** "21 Nov 2026 14:05", local time. */
export function humanDateTime(iso: string): string {
  const at = new Date(iso);
  return `${humanDate(localDate(at))} ${humanTime(at)}`;
}

export const refId = (ref: string, kind: string): number | null => {
  const match = new RegExp(`^${kind}:(\\d+)$`).exec(ref);
  return match ? Number(match[1]) : null;
};

const numberIn = (d: Record<string, unknown>, key: string): number | null => (typeof d[key] === 'number' ? d[key] : null);

/** The officer, asset and type ids a set of rows names, so their names can be read in one query each. */
export function namesNeeded(rows: Iterable<{ row: SentenceRow; details: Record<string, unknown> }>): { officers: Set<number>; assets: Set<number>; types: Set<number> } {
  const officers = new Set<number>();
  const assets = new Set<number>();
  const types = new Set<number>();
  const add = (set: Set<number>, id: number | null) => {
    if (id !== null) set.add(id);
  };
  for (const { row, details } of rows) {
    add(officers, refId(row.actor, 'officer'));
    add(officers, refId(row.subject, 'officer'));
    add(officers, numberIn(details, 'officer'));
    add(assets, refId(row.subject, 'asset'));
    add(assets, numberIn(details, 'asset'));
    add(assets, numberIn(details, 'newAsset'));
    add(types, refId(row.subject, 'asset-type'));
    add(types, numberIn(details, 'newAssetType'));
    add(types, numberIn(details, 'assetType'));
  }
  return { officers, assets, types };
}

type Key<A extends AuditAction> = Extract<keyof AuditDetails[A], string>;

/**
 * What a sentence is built from: the row, its details read safely by the keys its action's
 * details type has (K), and names. Typed by the keys, not the action, so the actions that
 * share a details type (every door intent, every asset move) share the helpers below.
 */
class Row<K extends string> {
  constructor(
    readonly row: SentenceRow,
    private readonly d: Record<string, unknown>,
    private readonly names: TimelineNames,
  ) {}

  text(key: K): string | null {
    const v = this.d[key];
    return typeof v === 'string' && v.trim() !== '' ? v : null;
  }

  num(key: K): number | null {
    return numberIn(this.d, key);
  }

  flag(key: K): boolean | null {
    const v = this.d[key];
    return typeof v === 'boolean' ? v : null;
  }

  texts(key: K): string[] {
    const v = this.d[key];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  numbers(key: K): number[] {
    const v = this.d[key];
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  }

  raw(key: K): unknown {
    return this.d[key];
  }

  /** Who did it: "PC 1234 Alex Morgan", or "the terminal" for what the terminal did on its own. */
  get who(): string {
    if (this.row.actor === 'system') return 'the terminal';
    const id = refId(this.row.actor, 'officer');
    return id === null ? this.row.actor : this.officer(id);
  }

  get actorIsTerminal(): boolean {
    return this.row.actor === 'system';
  }

  officer(id: number | null): string {
    if (id === null) return 'an unrecorded officer';
    const o = this.names.officers.get(id);
    return o ? `${o.collar} ${o.name}` : `officer ${id}`;
  }

  /** The officer a door intent was for (details.officer), else the one who acted. */
  get intentOfficer(): string {
    const id = numberIn(this.d, 'officer') ?? refId(this.row.actor, 'officer');
    return this.officer(id);
  }

  get subjectOfficer(): string {
    return this.officer(refId(this.row.subject, 'officer'));
  }

  asset(id: number | null): string {
    if (id === null) return 'an unrecorded item';
    const a = this.names.assets.get(id);
    return a ? `${a.typeName} ${a.serial}` : `item ${id}`;
  }

  /** The item the row is about: its subject, else details.asset. */
  get item(): string {
    return this.asset(refId(this.row.subject, 'asset') ?? numberIn(this.d, 'asset'));
  }

  type(id: number | null): string {
    if (id === null) return 'item';
    return this.names.types.get(id) ?? `item of type ${id}`;
  }

  get subjectType(): string {
    return this.type(refId(this.row.subject, 'asset-type'));
  }

  /** "door 3", from the subject or details.door. */
  get door(): string {
    const n = refId(this.row.subject, 'door') ?? numberIn(this.d, 'door');
    return n === null ? 'an unrecorded door' : `door ${n}`;
  }

  get card(): string {
    return this.row.subject.startsWith('card:') ? `card ${this.row.subject.slice(5)}` : 'an unrecorded card';
  }

  /** ": why", or nothing when there is no why. */
  because(why: string | null): string {
    return why === null ? '' : `: ${why}`;
  }
}

type Sentences = { [A in AuditAction]: (r: Row<Key<A>>) => string };
type IntentRow = Row<Key<'door.opened'>>;

/** "a Taser 7", "an Airwave radio". */
const withArticle = (noun: string): string => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const count = (n: number | null, one: string, many?: string): string => (n === null ? `an unrecorded number of ${many ?? `${one}s`}` : plural(n, one, many));
/** "PC 1234 Alex Morgan" from the collar and name a row carries as text. */
const named = (collar: string | null, name: string | null): string => [collar ?? '(collar unrecorded)', name].filter((x) => x !== null).join(' ');
const words = (code: string | null): string => (code === null ? 'unrecorded' : code.replaceAll('-', ' '));

/** "1–3, 5", for a list of door numbers. */
function ranges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** What a door intent's door was opened for, by the intent's kind. */
function purpose(r: IntentRow): string {
  const item = r.item;
  const order = r.num('order');
  const underOrder = order === null ? '' : ` under swap order ${order}`;
  const kind = r.text('kind') as IntentKind | null;
  switch (kind) {
    case 'draw':
      return `to draw ${item}`;
    case 'return':
      return `to return ${item}`;
    case 'swap-deposit':
      return `to hand in ${item}${underOrder}`;
    case 'swap-issue':
      return `to take ${item}${underOrder}`;
    case 'collect':
      return `to collect ${item}`;
    default:
      return `for ${item}`;
  }
}

/** The outcome the intent recorded ("door closed with the item still inside"), or a stand-in. */
const outcome = (r: IntentRow): string => r.text('outcome') ?? 'no outcome recorded';
const orderOf = (r: IntentRow): string => {
  const order = r.num('order');
  return order === null ? 'a swap order' : `swap order ${order}`;
};

/** An asset's status as the words after "it was". */
const STATUS: Record<string, string> = { maintenance: 'in maintenance', 'on-loan': 'on loan' };

const CONDITION: Record<string, string> = {
  ok: 'reporting it in good order',
  damaged: 'reporting it damaged',
  discharged: 'reporting it discharged',
};

function moveSentence(verb: string) {
  return (r: Row<Key<'asset.quarantined'>>): string => {
    const from = r.text('from');
    const door = r.num('door');
    const freed = r.num('doorFreed');
    const where = door === null ? '' : ` in door ${door}`;
    return `${r.who} ${verb.replace('%', r.item)} (it was ${STATUS[from ?? ''] ?? words(from)}${where})${freed === null ? '' : `, freeing door ${freed}`}${r.because(r.text('reason'))}`;
  };
}

/**
 * Who ended the session and why: the officer, or the terminal after an idle screen or once a draw,
 * return or swap was complete (the kiosk writes "draw complete", or "draw complete, next card" when
 * the next officer's card cut the done screen's countdown short).
 */
function signedOut(who: string, why: string | null): string {
  if (why === 'idle timeout') return `The terminal signed ${who} out after the screen was left idle`;
  const done = /^(draw|return|swap) complete(, next card)?$/.exec(why ?? '');
  if (done) return `The terminal signed ${who} out once their ${done[1]} was complete${done[2] ? ', as the next card was tapped' : ''}`;
  return `${who} signed out`;
}

function hardwareTest(r: Row<Key<'hardware.test'>>): string {
  const test = r.raw('test');
  const t = test !== null && typeof test === 'object' ? (test as Record<string, unknown>) : {};
  const what =
    t.action === 'open-door' && typeof t.doorNumber === 'number'
      ? `opening door ${t.doorNumber}`
      : t.action === 'board-status' && typeof t.busId === 'string'
        ? `reading the board status on bus ${t.busId}`
        : t.action === 'trigger-video' && typeof t.triggerId === 'string'
          ? `triggering video ${t.triggerId}`
          : t.action === 'read-card'
            ? 'reading a test card'
            : t.action === 'read-scan'
              ? 'reading a test scan'
              : r.row.subject;
  const ok = r.flag('ok');
  return `${r.who} ran a hardware test, ${what}, which ${ok === null ? 'had no recorded result' : ok ? 'passed' : 'failed'}${r.because(r.text('message'))}`;
}

const SENTENCES: Sentences = {
  'auth.signed-in': (r) => `${r.who} signed in with ${r.card} and PIN`,
  'auth.signed-out': (r) => signedOut(r.who, r.text('why')),
  'auth.failed': (r) => `The terminal refused a wrong PIN for ${r.card} (${count(r.num('failures'), 'wrong PIN')} in a row)`,
  'auth.locked': (r) => {
    const until = r.text('lockedUntil');
    return `The terminal locked ${r.card}${until === null ? '' : ` until ${humanDateTime(until)}`} after ${count(r.num('failures'), 'wrong PIN')}`;
  },
  'auth.refused-locked': (r) => {
    const until = r.text('lockedUntil');
    return `The terminal refused a PIN for ${r.card}, which was locked${until === null ? '' : ` until ${humanDateTime(until)}`}`;
  },

  'draw.intent': (r) => {
    const version = r.num('ruleVersion');
    const override = r.num('override');
    const rule = version === null ? "the type's requirements (no release rule saved)" : `release rule version ${version}`;
    return `${r.who} was cleared to draw ${r.item} from ${r.door} under ${rule}${override === null ? '' : `, on armourer override ${override}`}`;
  },
  'draw.refused': (r) => {
    const reasons = Array.isArray(r.raw('reasons'))
      ? (r.raw('reasons') as unknown[]).flatMap((x) => (x !== null && typeof x === 'object' && typeof (x as { message?: unknown }).message === 'string' ? [(x as { message: string }).message] : []))
      : [];
    const override = r.num('override');
    return `${r.who} asked to draw ${withArticle(r.subjectType)} and was refused${override === null ? '' : ` despite override ${override}`}${r.because(reasons.length > 0 ? reasons.join('; ') : null)}`;
  },
  'draw.override-rejected': (r) => `${r.who} offered override ${r.num('override') ?? '(unrecorded)'} to draw ${withArticle(r.subjectType)}, and the terminal did not accept it${r.because(r.text('why'))}`,
  'return.intent': (r) => `${r.who} began returning ${r.item}, and the terminal unlocked ${r.door} for it`,
  'swap.deposit-intent': (r) => `${r.who} began swap order ${r.num('order') ?? '(unrecorded)'}, and the terminal unlocked ${r.door} to take in ${r.item}`,
  'swap.issue-intent': (r) => `${r.who} was cleared to take ${r.item} from ${r.door} under swap order ${r.num('order') ?? '(unrecorded)'}, the old device being in`,
  'collect.intent': (r) => `${r.who} began collecting ${r.item}, and the terminal unlocked ${r.door} for it`,

  'door.opened': (r) => `${r.door} opened for ${r.intentOfficer} ${purpose(r)}`,
  'draw.completed': (r) => `${r.intentOfficer} drew ${r.item} from ${r.door}`,
  'draw.cancelled': (r) => `${r.intentOfficer} did not take ${r.item} from ${r.door}, so nothing was issued: ${outcome(r)}`,
  'draw.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to draw ${r.item}, so nothing was issued: ${outcome(r)}`,
  'return.item-in': (r) => `${r.intentOfficer} put ${r.item} back in ${r.door}`,
  'return.cancelled': (r) => `${r.intentOfficer} did not put ${r.item} in ${r.door}, so it is still on loan to them: ${outcome(r)}`,
  'return.completed': (r) => {
    const condition = r.text('condition');
    const quarantined = r.flag('quarantined') === true ? ', and it was quarantined' : '';
    if (r.actorIsTerminal || condition === 'not-recorded') {
      return `The terminal completed ${r.intentOfficer}'s return of ${r.item} to ${r.door} with no condition given${quarantined}`;
    }
    return `${r.intentOfficer} returned ${r.item} to ${r.door}, ${CONDITION[condition ?? ''] ?? `reporting its condition as ${words(condition)}`}${quarantined}`;
  },
  'return.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to return ${r.item}, so it is still on loan to them: ${outcome(r)}`,
  'swap-deposit.item-in': (r) => `${r.intentOfficer} put ${r.item} in ${r.door} under ${orderOf(r)}`,
  'swap-deposit.cancelled': (r) => `${r.intentOfficer} did not put ${r.item} in ${r.door} under ${orderOf(r)}: ${outcome(r)}`,
  'swap-deposit.completed': (r) => `${r.intentOfficer} handed in ${r.item} in ${r.door} under ${orderOf(r)}, and its tag was matched`,
  'swap-deposit.unverified': (r) => `${r.intentOfficer} closed ${r.door} on an item whose tag was never matched to ${r.item} under ${orderOf(r)}, so nothing was released`,
  'swap-deposit.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to hand in ${r.item} under ${orderOf(r)}: ${outcome(r)}`,
  'swap-issue.completed': (r) => `${r.intentOfficer} took ${r.item} from ${r.door} under ${orderOf(r)}`,
  'swap-issue.cancelled': (r) => `${r.intentOfficer} left ${r.item} in ${r.door} under ${orderOf(r)}, so it was not issued: ${outcome(r)}`,
  'swap-issue.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to take ${r.item} under ${orderOf(r)}, so it was not issued: ${outcome(r)}`,
  'collect.completed': (r) => `${r.intentOfficer} collected ${r.item} from ${r.door}`,
  'collect.cancelled': (r) => `${r.intentOfficer} did not take ${r.item} from ${r.door}: ${outcome(r)}`,
  'collect.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to collect ${r.item}: ${outcome(r)}`,
  'stage.item-in': (r) => `${r.item} is in ${r.door}, loaded by ${r.intentOfficer} for booking ${r.num('booking') ?? '(unrecorded)'}: ${outcome(r)}`,
  'stage.completed': (r) => `${r.door} closed on ${r.item}, held for booking ${r.num('booking') ?? '(unrecorded)'}: ${outcome(r)}`,
  'stage.cancelled': (r) => `${r.door} closed without ${r.item}, which ${r.intentOfficer} was loading for booking ${r.num('booking') ?? '(unrecorded)'}: ${outcome(r)}`,
  'stage.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to load ${r.item}: ${outcome(r)}`,
  'booking-collect.completed': (r) => `${r.intentOfficer} collected ${r.item}, booked for them, from ${r.door}`,
  'booking-collect.cancelled': (r) => `${r.intentOfficer} did not take ${r.item}, booked for them, from ${r.door}: ${outcome(r)}`,
  'booking-collect.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to collect ${r.item}, booked for them: ${outcome(r)}`,
  'ammo.recorded': (r) => {
    const kind = r.text('kind');
    const holder = r.num('holder');
    const moved = kind === 'adjusted' ? `adjusted the store's count of` : `recorded ${count(r.num('quantity'), 'round')} ${kind ?? 'moved'} of`;
    return `${r.who} ${moved} ${r.text('calibre') ?? ''} lot ${r.text('lotNumber') ?? '(unrecorded)'}${holder === null ? '' : `, held by ${r.officer(holder)}`}${r.because(r.text('reason'))}`;
  },
  'ammo.lot-recalled': (r) => `${r.who} recalled ${r.text('calibre') ?? ''} lot ${r.text('lotNumber') ?? '(unrecorded)'}: ${count(r.num('holders'), 'officer')} held ${count(r.num('rounds'), 'round')} of it${r.because(r.text('reason'))}`,
  'pool.received': (r) => `${r.who} received ${count(r.num('quantity'), 'unit')} of ${r.text('name') ?? 'pooled stock'} into the store${r.because(r.text('note'))}`,
  'pool.counted': (r) => `${r.who} counted ${r.text('name') ?? 'pooled stock'} in the store: ${r.num('counted') ?? 'an unrecorded number'} (the record said ${r.num('before') ?? 'unrecorded'})${r.because(r.text('reason'))}`,
  'pool.packed': (r) => `${r.who} took ${count(r.num('quantity'), 'unit')} of ${r.text('name') ?? 'pooled stock'} from the store for booking ${r.num('booking') ?? '(unrecorded)'}`,
  'exhibit-deposit.item-in': (r) => `${r.item} is in ${r.door}, deposited by ${r.intentOfficer}: ${outcome(r)}`,
  'exhibit-deposit.completed': (r) => `${r.door} closed on ${r.item}: ${outcome(r)}`,
  'exhibit-deposit.cancelled': (r) => `${r.door} closed without ${r.item}, which ${r.intentOfficer} was depositing: ${outcome(r)}`,
  'exhibit-deposit.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to deposit ${r.item}: ${outcome(r)}`,
  'exhibit-retrieve.completed': (r) => `${r.intentOfficer} took ${r.item} from ${r.door}`,
  'exhibit-retrieve.cancelled': (r) => `${r.intentOfficer} did not take ${r.item} from ${r.door}: ${outcome(r)}`,
  'exhibit-retrieve.door-failed': (r) => `${r.door} did not open for ${r.intentOfficer} to retrieve ${r.item}: ${outcome(r)}`,
  'exhibit.deposit-intent': (r) => `${r.who} began depositing ${withArticle(r.text('category') ?? 'unrecorded')} exhibit ${exhibitName(r)}, and the terminal unlocked door ${r.num('door') ?? '(unrecorded)'} for it`,
  'exhibit.retrieve-intent': (r) => {
    const witness = r.num('witness');
    return `${r.who}${witness === null ? '' : ` with ${r.officer(witness)}`} checked the seal of exhibit ${refId(r.row.subject, 'exhibit') ?? '(unrecorded)'} and the terminal unlocked door ${r.num('door') ?? '(unrecorded)'} to retrieve it for ${r.text('purpose') ?? 'an unrecorded purpose'}`;
  },
  'exhibit.deposited': (r) => `${r.who} deposited exhibit ${exhibitName(r)} behind door ${r.num('door') ?? '(unrecorded)'}, sealed ${r.texts('seals').join(', ') || '(no seal recorded)'}`,
  'exhibit.retrieved': (r) => {
    const witness = r.num('witness');
    return `${r.who}${witness === null ? '' : ` and ${r.officer(witness)}`} retrieved exhibit ${exhibitName(r)} from door ${r.num('door') ?? '(unrecorded)'}, seal ${r.texts('seals').join(', ') || '(none)'} checked${r.because(r.text('detail'))}`;
  },
  'exhibit.resealed': (r) => `${r.who} resealed exhibit ${exhibitName(r)}${r.because(r.text('detail'))}`,
  'exhibit.seal-mismatch': (r) => `The seal read for exhibit ${exhibitName(r)} did not match its record, so door ${r.num('door') ?? '(unrecorded)'} stayed shut${r.because(r.text('detail'))}`,
  'exhibit.dwell-alarm': (r) => `Exhibit ${exhibitName(r)} stayed behind door ${r.num('door') ?? '(unrecorded)'} too long${r.because(r.text('detail'))}`,
  'stage.intent': (r) => `${r.who} began loading ${r.item} for booking ${r.num('booking') ?? '(unrecorded)'}, and the terminal unlocked ${r.door} for it`,
  'booking-collect.intent': (r) => `${r.who} was cleared to collect ${r.item}, booked for them, from ${r.door}`,

  'service.open-intent': (r) => `${r.who} asked to open ${r.door} for service${r.because(r.text('reason'))}`,
  'service.door-opened': (r) => `${r.door} opened for service opening ${r.num('opening') ?? '(unrecorded)'}`,
  'service.door-closed': (r) => `${r.door} closed after service opening ${r.num('opening') ?? '(unrecorded)'}`,
  'service.door-failed': (r) => `${r.door} did not open for service opening ${r.num('opening') ?? '(unrecorded)'}${r.because(r.text('reason'))}`,

  'exception.raised': (r) => `The terminal raised exception ${r.num('exception') ?? '(unrecorded)'} (${words(r.text('kind'))})${r.because(r.text('message'))}`,
  'exception.acknowledged': (r) => `${r.who} acknowledged exception ${r.num('exception') ?? '(unrecorded)'} (${words(r.text('kind'))})`,
  'exception.resolved': (r) => `${r.who} resolved exception ${r.num('exception') ?? '(unrecorded)'} (${words(r.text('kind'))})${r.because(r.text('note'))}`,

  'override.granted': (r) => {
    const refusals = r.texts('refusals').map(words);
    const refused = refusals.length === 0 ? 'a refusal' : `the refusal (${refusals.join(', ')})`;
    return `${r.who} overrode ${refused} for ${r.subjectOfficer} to draw one ${r.text('assetType') ?? 'item'}, with override ${r.num('override') ?? '(unrecorded)'} and reason ${r.text('reasonCode') ?? 'unrecorded'}${r.because(r.text('note'))}`;
  },
  'override-reasons.changed': (r) => `${r.who} changed the override reason codes${r.because(r.texts('changes').join('; ') || null)}`,
  'rule.changed': (r) => {
    const name = r.text('assetTypeName') ?? r.subjectType;
    const from = r.num('fromVersion');
    const to = r.num('toVersion') ?? '(unrecorded)';
    return from === null ? `${r.who} set the first release rule for ${name}, version ${to}` : `${r.who} changed the release rule for ${name} from version ${from} to version ${to}`;
  },
  'training.imported': (r) => {
    const changed = r.num('changed');
    return `${r.who} imported training records from ${r.text('file') ?? 'an unnamed file'} (${r.text('source') ?? 'unrecorded source'}): ${count(r.num('rows'), 'row')}, ${changed === 0 ? 'none' : (changed ?? 'an unrecorded number')} changed`;
  },
  'training.rejected': (r) => {
    const by = r.actorIsTerminal ? '' : `, by ${r.who}`;
    return `The terminal rejected the whole training import ${r.text('file') ?? 'of an unnamed file'} (${r.text('source') ?? 'unrecorded source'}${by}) and changed nothing: ${count(r.num('problems'), 'problem')}`;
  },
  'config.changed': (r) => `${r.who} changed the terminal configuration${r.because(r.texts('changes').join('; ') || null)}`,
  'hardware.test': hardwareTest,

  'asset.registered': (r) => `${r.who} registered ${r.text('assetType') ?? 'an item'} ${r.text('serial') ?? '(no serial)'} with tag ${r.text('tag') ?? '(none)'}`,
  'asset.quarantined': moveSentence('quarantined %'),
  'asset.sent-to-maintenance': moveSentence('sent % to maintenance'),
  'asset.returned-to-service': moveSentence('returned % to service'),
  'asset.retired': moveSentence('retired %'),
  'stock.started': (r) => `${r.who} started stock check ${refId(r.row.subject, 'stock-check') ?? '(unrecorded)'}`,
  'stock.checked': (r) => {
    const missing = r.texts('missingTags');
    const unexpectedRaw = r.raw('unexpectedTags');
    const unexpected = Array.isArray(unexpectedRaw)
      ? unexpectedRaw.flatMap((u) => (u !== null && typeof u === 'object' && typeof (u as { tag?: unknown }).tag === 'string' ? [(u as { tag: string }).tag] : []))
      : [];
    const list = (tags: string[]) => (tags.length > 0 ? ` (${tags.join(', ')})` : '');
    return `${r.who} finished stock check ${refId(r.row.subject, 'stock-check') ?? '(unrecorded)'}: ${count(r.num('scanned'), 'item')} scanned, ${r.num('missing') ?? 'an unrecorded number'} missing${list(missing)}, ${r.num('unexpected') ?? 'an unrecorded number'} unexpected${list(unexpected)}`;
  },

  'site.seeded-demo': (r) => `${r.who} set up the demo site: ${count(r.num('officers'), 'officer')}, ${count(r.num('assets'), 'item')}, ${count(r.num('rules'), 'release rule')}`,
  'site.seeded-demo-rooms': (r) =>
    `${r.who} set up the demo's smart-locker rooms: ${count(r.num('assets'), 'item')} in the stores doors, ${count(r.num('staged'), 'booking')} staged, one exhibit, and ${count(r.num('historyDays'), 'day')} of history`,
  'bank.added': (r) => `${r.who} added the locker bank "${r.text('name') ?? r.row.subject}"`,
  'bank.doors-added': (r) => {
    const doors = r.numbers('doors');
    return `${r.who} added ${doors.length === 1 ? 'door' : 'doors'} ${ranges(doors) || '(none recorded)'} to locker bank ${refId(r.row.subject, 'bank') ?? '(unrecorded)'}`;
  },

  'bank.doors-changed': (r) => `${r.who} changed what doors of locker bank ${refId(r.row.subject, 'bank') ?? '(unrecorded)'} take: ${r.texts('changes').join('; ') || '(none recorded)'}`,

  'swap.order-created': (r) => {
    const newAsset = r.num('newAsset');
    const wanted = newAsset === null ? `any ${r.type(r.num('newAssetType'))}` : r.asset(newAsset);
    const by = r.text('expiresOn');
    return `${r.who} ordered swap ${r.num('order') ?? '(unrecorded)'}: ${r.officer(r.num('officer'))} to exchange ${r.asset(r.num('asset'))} for ${wanted}${by === null ? '' : ` by ${humanDate(by)}`}`;
  },
  'swap.order-cancelled': (r) => `${r.who} cancelled swap order ${r.num('order') ?? '(unrecorded)'}${r.because(r.text('reason'))}`,
  'swap.order-expired': (r) => `The terminal closed swap order ${r.num('order') ?? '(unrecorded)'}, unused by its last day`,
  'device.sanitised': (r) =>
    `${r.who} recorded that ${r.item} was sanitised (${r.text('method') ?? 'method unrecorded'}) with ${r.text('tool') ?? 'an unrecorded tool'} by ${r.text('operator') ?? 'an unrecorded operator'}, verified, certificate ${r.text('certificateId') ?? 'unrecorded'}`,
  'device.sanitisation-failed': (r) =>
    `${r.who} recorded a sanitisation of ${r.item} (${r.text('method') ?? 'method unrecorded'}) with ${r.text('tool') ?? 'an unrecorded tool'} by ${r.text('operator') ?? 'an unrecorded operator'} that did not verify (certificate ${r.text('certificateId') ?? 'unrecorded'}), so it still awaits sanitisation`,
  'booking.created': (r) => {
    const asset = r.num('asset');
    const what = asset === null ? `any ${r.type(r.num('assetType'))}` : r.asset(asset);
    const source = r.text('source');
    const by = source !== null && source.startsWith('endpoint:') ? `${source.slice(9)} (through the booking endpoint)` : r.who;
    const deadline = r.text('deadline');
    return `${by} booked ${what} for ${r.officer(r.num('officer'))}, reference ${r.text('reference') ?? '(none)'}, ${r.text('priority') ?? 'routine'} priority${deadline === null ? '' : `, to collect by ${humanDateTime(deadline)}`}`;
  },
  'booking.cancelled': (r) => `${r.who} cancelled booking ${r.num('booking') ?? '(unrecorded)'}${r.because(r.text('reason'))}`,
  'booking.staged': (r) => `${r.who} staged ${r.asset(r.num('asset'))} behind door ${r.num('door') ?? '(unrecorded)'} for booking ${r.num('booking') ?? '(unrecorded)'}: the door is held for its officer`,
  'booking.expired': (r) =>
    r.raw('staged') === true
      ? `Booking ${r.num('booking') ?? '(unrecorded)'} was not collected by its deadline: its item went back to the pool and door ${r.num('door') ?? '(unrecorded)'} was flagged for clearing`
      : `Booking ${r.num('booking') ?? '(unrecorded)'} reached its deadline before it was staged`,
  'booking.collect-refused': (r) => {
    const reasons = Array.isArray(r.raw('reasons'))
      ? (r.raw('reasons') as unknown[]).flatMap((x) => (x !== null && typeof x === 'object' && typeof (x as { message?: unknown }).message === 'string' ? [(x as { message: string }).message] : []))
      : [];
    return `${r.who} was refused booking ${r.num('booking') ?? '(unrecorded)'} at collection${r.because(reasons.length > 0 ? reasons.join('; ') : null)}`;
  },
  'device.disposed': (r) => {
    const outcome = r.text('outcome');
    const to = r.text('receivingOrganisation');
    const certificate = r.text('certificate');
    return `${r.who} recorded that ${r.item} was ${outcome ?? 'disposed of'}${to === null ? '' : ` to ${to}`}${certificate === null ? '' : `, certificate ${certificate}`}`;
  },

  'bank.walk-started': (r) => `${r.who} began commissioning walk ${r.num('walk') ?? '(unrecorded)'} of locker bank ${refId(r.row.subject, 'bank') ?? '(unrecorded)'}, door by door`,
  'bank.walk-polarity': (r) => {
    const applied = r.texts('applied');
    return `${r.who} checked the lock-sensor polarity in commissioning walk ${r.num('walk') ?? '(unrecorded)'}${r.because(r.text('finding'))}${applied.length > 0 ? `; applied: ${applied.join('; ')}` : '; nothing was changed'}`;
  },
  'bank.walk-door': (r) => {
    const answer = r.text('answer');
    const other = r.num('otherDoor');
    const said = answer === 'yes' ? 'it opened' : answer === 'no' ? 'it did not open' : answer === 'other' ? `door ${other ?? '(unrecorded)'} opened instead` : 'nothing recorded';
    return `${r.who} unlocked ${r.door} in commissioning walk ${r.num('walk') ?? '(unrecorded)'} and said ${said}${r.because(r.text('sensor') === null ? null : `the sensor read ${r.text('sensor')}`)}`;
  },
  'bank.walk-remap': (r) => `${r.who} swapped the wiring of ${r.door} and door ${r.num('otherDoor') ?? '(unrecorded)'} in commissioning walk ${r.num('walk') ?? '(unrecorded)'}${r.because(r.texts('changes').join('; ') || null)}`,
  'bank.walk-finished': (r) => {
    const outcome = r.text('outcome');
    const confirmed = r.numbers('confirmed');
    const ended = outcome === 'passed' ? 'passed' : outcome === 'problems' ? 'ended with problems' : outcome === 'abandoned' ? 'was abandoned' : 'ended';
    return `Commissioning walk ${r.num('walk') ?? '(unrecorded)'}, ended by ${r.who}, ${ended}: ${confirmed.length} of ${count(r.num('doors'), 'door')} confirmed${confirmed.length > 0 ? ` (${ranges(confirmed)})` : ''}`;
  },
  'setup.code-issued': () => 'The terminal issued a one-time setup code for the first site admin',
  'setup.code-refused': (r) => `The terminal refused a wrong setup code (${count(r.num('triesLeft'), 'try', 'tries')} left)`,
  'setup.first-admin': (r) => `The terminal created the first site admin, ${named(r.text('collarNumber'), r.text('name'))}, with the setup code`,
  'card.enrolled': (r) => `${r.who} enrolled ${r.card} to ${r.text('officer') ?? 'an unrecorded officer'}`,
  'card.enrolment-refused': (r) => `${r.who} tried to enrol ${r.card} to ${r.text('officer') ?? 'an unrecorded officer'}, and the terminal refused because it is enrolled to ${r.text('holder') ?? 'someone else'}`,
  'card.revoked': (r) => `${r.who} revoked ${r.card}, enrolled to ${r.text('officer') ?? 'an unrecorded officer'}`,
  'auth.pin-chosen': (r) => `${r.who} chose their PIN`,
  'auth.pin-reset': (r) => `${r.who} reset the PIN of ${r.subjectOfficer}`,
  'personnel.imported': (r) => {
    const file = r.text('fileName') ?? 'an unnamed file';
    return `${r.who} imported personnel from ${file}: ${count(r.num('rows'), 'row')}, ${r.num('changed') ?? 'an unrecorded number'} changed, ${r.num('added') ?? 'an unrecorded number'} added, ${r.num('left') ?? 'an unrecorded number'} left`;
  },
  'officer.added': (r) => {
    const roles = r.texts('roles');
    return `${r.who} added officer ${named(r.text('collarNumber'), r.text('name'))} (${r.text('status') ?? 'status unrecorded'}${roles.length > 0 ? `; roles ${roles.join(', ')}` : ''})`;
  },
  'officer.changed': (r) => `${r.who} changed the record of officer ${r.text('collarNumber') ?? '(unrecorded)'}${r.because(r.texts('changes').join('; ') || null)}`,
  'register.imported': (r) =>
    `${r.who} imported the site register from ${r.text('fileName') ?? 'an unnamed file'}: ${count(r.num('qualifications'), 'qualification')}, ${count(r.num('assetTypes'), 'asset type')} and ${count(r.num('assets'), 'item')} added or changed`,
  'asset-type.added': (r) => `${r.who} added asset type ${r.text('name') ?? '(unnamed)'} (${r.text('code') ?? 'no code'}, ${r.text('category') ?? 'no category'})`,
  'officer.left': (r) => `${r.who} recorded that officer ${r.text('collarNumber') ?? '(unrecorded)'} left, revoking ${count(r.num('cardsRevoked'), 'card')}`,
};

const upperFirst = (text: string): string => (text === '' ? text : `${text[0]?.toUpperCase()}${text.slice(1)}`);

/** Whether the action is one this version writes, and so has a sentence of its own. */
export const hasSentence = (action: string): action is AuditAction => Object.hasOwn(SENTENCES, action);

/**
 * The row as one sentence. An action this version does not write (a row from another
 * version, or forged) still reads as who, the action and its subject, word for word.
 */
export function auditSentence(row: SentenceRow, details: Record<string, unknown>, names: TimelineNames): string {
  if (!hasSentence(row.action)) {
    const who = new Row<never>(row, details, names).who;
    return `${upperFirst(who)}: ${row.action} (${row.subject})`;
  }
  // Each entry reads only its own action's keys; the row's details are checked as they are read.
  const build = SENTENCES[row.action] as (r: Row<string>) => string;
  return upperFirst(build(new Row(row, details, names)));
}

/** "AP/1 of 23/12345/26", from an exhibit event's details. */
function exhibitName(r: Row<string>): string {
  return `${r.text('reference') ?? '(unrecorded)'} of ${r.text('occurrence') ?? '(unrecorded)'}`;
}
