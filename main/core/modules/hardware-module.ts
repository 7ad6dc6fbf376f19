import type { BankWalkAnswer, BankWalkView, HardwareView, RequestInput, Result } from '../../../preload/contract.ts';
import { BankWalks, judgeProbe } from '../bank-walk.ts';
import { CONFIRM_POLL_MS } from '../door-command.ts';
import { fail, OK, signedIn, describeError, type KioskContext, type KioskModule } from '../journeys/journey.ts';
import { runServiceOpening } from '../journeys/service-opening.ts';
import { pause, type DoorSensors, type DoorWiring, type HardwareAdmin } from '../ports.ts';

const CAPTURE_TIMEOUT_MS = 15_000;

/**
 * The hardware screen (site admins; the role is checked in the permissions table): device
 * health, test buttons, the frame log and the terminal configuration. A test read of a card
 * or scan takes the next one instead of the kiosk flow.
 */
export function hardwareModule(ctx: KioskContext): KioskModule {
  let capture: { kind: 'card' | 'scan'; resolve: (code: string | null) => void } | null = null;

  const hardware = (): HardwareAdmin | null => ctx.deps.hardware;
  const none = () => fail<never>('forbidden', 'This terminal has no hardware screen.');

  function captureNext(kind: 'card' | 'scan'): Promise<string | null> {
    capture?.resolve(null);
    return new Promise((resolve) => {
      const cancel = ctx.services.scheduler.after(CAPTURE_TIMEOUT_MS, () => {
        if (capture?.resolve === done) capture = null;
        resolve(null);
      });
      const done = (code: string | null) => {
        cancel();
        resolve(code);
      };
      capture = { kind, resolve: done };
    });
  }

  function take(kind: 'card' | 'scan', code: string): boolean {
    if (capture?.kind !== kind) return false;
    const { resolve } = capture;
    capture = null;
    resolve(code);
    return true;
  }

  async function test(officerId: number, admin: HardwareAdmin, input: RequestInput<'hardwareTest'>): Promise<{ ok: boolean; message: string }> {
    try {
      switch (input.action) {
        case 'open-door':
          return await runServiceOpening(ctx, officerId, input.doorNumber);
        case 'board-status':
          return { ok: true, message: await admin.busStatus(input.busId) };
        case 'trigger-video':
          return { ok: true, message: await admin.testTrigger(input.triggerId) };
        case 'read-card':
        case 'read-scan': {
          const kind = input.action === 'read-card' ? 'card' : 'scan';
          const code = await captureNext(kind);
          return code === null
            ? { ok: false, message: `No ${kind === 'card' ? 'card was tapped' : 'tag was scanned'} within ${CAPTURE_TIMEOUT_MS / 1000} s.` }
            : { ok: true, message: `${kind === 'card' ? 'Card' : 'Scan'} read: ${code}` };
        }
      }
    } catch (error) {
      return { ok: false, message: describeError(error) };
    }
  }

  const walks = new BankWalks(ctx.services.db, ctx.services.audit, ctx.services.clock, ctx.services.bankId);
  /** The running walk's step (in memory: a restart abandons the walk, see start()). */
  let walk: {
    id: number;
    step: NonNullable<BankWalkView['running']>['step'];
    doors: number[];
    index: number;
    finding: string | null;
    /** One per board whose lock bits moved the wrong way when probed. */
    proposals: { doorNumber: number; lockOpenWhenSet: boolean; text: string }[];
    unlocked: string | null;
    otherDoor: number | null;
    /** Doors the walk has opened: expected open while it runs, so not forced doors. */
    held: Set<number>;
  } | null = null;

  function hold(doorNumber: number): void {
    walk?.held.add(doorNumber);
    ctx.holdDoor(doorNumber, true);
  }

  function endWalk(officerId: number, abandoned: boolean): void {
    if (!walk) return;
    walks.finish(walk.id, officerId, abandoned, walk.doors.length);
    for (const door of walk.held) ctx.holdDoor(door, false);
    walk = null;
  }

  function walkView(): BankWalkView {
    const demo = ctx.deps.demo !== null;
    const doorNumber = walk?.doors[walk.index];
    return {
      commissioned: demo || walks.commissioned(),
      demo,
      running:
        walk && doorNumber !== undefined
          ? {
              walkId: walk.id,
              step: walk.step,
              finding: walk.finding,
              proposal: walk.proposals.length > 0 ? walk.proposals.map((p) => p.text).join(' ') : null,
              doorNumber,
              doorIndex: walk.index,
              doorCount: walk.doors.length,
              unlocked: walk.unlocked,
              otherDoor: walk.otherDoor,
            }
          : null,
      last: walks.last(),
    };
  }

  const view = (admin: HardwareAdmin): HardwareView => {
    const lockers = ctx.lockerStatus();
    const health = ctx.deps.lockers.health();
    return {
      ...admin.view(),
      bank: { name: lockers.name, state: lockers.state, problems: [...ctx.plausibility().problems, ...ctx.plausibility().notices], lastError: health.lastError },
      bankWalk: walkView(),
      exceptions: ctx.services.exceptions.recent(20),
    };
  };

  const walkOk = (): Result<BankWalkView> => {
    ctx.changed();
    return { ok: true, value: walkView() };
  };
  const noWalk = () => fail<never>('conflict', 'No commissioning walk is running: start one first.');

  /**
   * Before the first door, once per board (Kerong) or bus (Modbus), since each has its own
   * polarity setting: the board at rest, then one of its doors unlocked (committed first, as a
   * service opening), and which lock reading changed and which way. The door probed is the
   * board's lowest-numbered one with nothing recorded behind it, so nothing can fall out.
   */
  async function probe(officerId: number, admin: HardwareAdmin, walkId: number): Promise<void> {
    if (!walk) return;
    const stocked = new Set(ctx.services.db.prepare<[number], { number: number }>('SELECT d.number FROM doors d JOIN assets a ON a.door_id = d.id WHERE d.bank_id = ?').all(ctx.services.bankId).map((r) => r.number));
    const layout = admin.layout();
    const boards = new Map<string, DoorWiring[]>();
    for (const wiring of layout) boards.set(wiring.board, [...(boards.get(wiring.board) ?? []), wiring]);
    const findings: string[] = [];
    const proposals: NonNullable<typeof walk>['proposals'] = [];
    for (const [board, wired] of boards) {
      const numbers = new Set(wired.map((w) => w.doorNumber));
      const probed = wired.find((w) => !stocked.has(w.doorNumber)) ?? wired[0];
      if (!probed) continue;
      const onBoard = (doors: DoorSensors[]) => doors.filter((d) => numbers.has(d.doorNumber));
      let finding: ReturnType<typeof judgeProbe>;
      hold(probed.doorNumber);
      try {
        const rest = onBoard(await ctx.deps.lockers.readDoors());
        const opened = await runServiceOpening(ctx, officerId, probed.doorNumber, 'commissioning walk: polarity probe');
        // The reading after the unlock: wait out the confirm time the door had, then read again.
        if (!opened.ok) await pause(ctx.services.scheduler, CONFIRM_POLL_MS);
        finding = judgeProbe(probed.doorNumber, rest, onBoard(await ctx.deps.lockers.readDoors()), probed.lockOpenWhenSet);
      } catch (error) {
        finding = { text: `The bank could not be read for the polarity probe: ${describeError(error)}. Check the bus and try again.`, proposal: null };
      }
      findings.push(boards.size > 1 ? `${board}: ${finding.text}` : finding.text);
      if (finding.proposal) {
        const { lockOpenWhenSet } = finding.proposal;
        proposals.push({
          ...finding.proposal,
          text: `Set the lock-sensor polarity for ${board} to "${lockOpenWhenSet ? 'a set bit means open' : 'a clear bit means open'}" (lockOpenWhenBitSet: ${lockOpenWhenSet}).`,
        });
      }
    }
    walk.finding = findings.join(' ');
    walk.proposals = proposals;
    if (proposals.length > 0) walk.step = 'polarity';
    else walks.recordFinding(walkId, officerId, walk.finding, null);
  }

  function advance(officerId: number): void {
    if (!walk) return;
    walk.index++;
    walk.unlocked = null;
    walk.otherDoor = null;
    walk.step = 'open';
    if (walk.index >= walk.doors.length) endWalk(officerId, false);
  }

  async function answer(officerId: number, given: BankWalkAnswer, otherDoor: number | null): Promise<Result<BankWalkView>> {
    if (!walk) return noWalk();
    if (walk.step !== 'answer') return fail('conflict', `Open door ${walk.doors[walk.index]} first, then say whether it opened.`);
    const doorNumber = walk.doors[walk.index] ?? 0;
    if (given === 'other' && (otherDoor === doorNumber || otherDoor === null || !walk.doors.includes(otherDoor))) {
      return fail('invalid-request', `Say which other door opened: a door of this bank other than door ${doorNumber}.`);
    }
    walks.answer(walk.id, officerId, doorNumber, given, otherDoor, walk.unlocked ?? 'not read');
    if (given === 'other') {
      walk.otherDoor = otherDoor;
      walk.step = 'remap';
    } else advance(officerId);
    return walkOk();
  }

  return {
    takeCard: (uid) => take('card', uid),
    takeScan: (code) => take('scan', code),
    stop: () => capture?.resolve(null),
    start: () => walks.abandonRunning(),
    handlers: {
      openHardware: () => {
        if (!hardware()) return none();
        ctx.show({ kind: 'hardware' });
        return OK;
      },
      getHardware: () => {
        const admin = hardware();
        return admin ? { ok: true, value: view(admin) } : none();
      },
      hardwareFrames: ({ since }) => {
        const admin = hardware();
        return admin ? { ok: true, value: admin.frames(since) } : none();
      },
      saveHardwareConfig: async ({ configJson }, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        const saved = await admin.save(configJson);
        if (!saved.ok) return { ok: true, value: { saved: false, problems: saved.problems, changes: [] } };
        const { db, audit, clock } = ctx.services;
        db.transaction(() =>
          audit.append({ actor: `officer:${signedIn(officerId)}`, action: 'config.changed', subject: 'terminal-config', details: { changes: saved.changes } }, clock.now()),
        ).immediate();
        ctx.changed();
        return { ok: true, value: { saved: true, problems: [], changes: saved.changes } };
      },
      startBankWalk: async (_input, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        const who = signedIn(officerId);
        if (walk) return fail('conflict', 'A commissioning walk is already running: finish or cancel it first.');
        const doors = admin.layout().map((w) => w.doorNumber);
        if (doors.length === 0) return fail('conflict', 'This bank has no doors configured.');
        const id = walks.start(who);
        if (id === null) return fail('conflict', 'A commissioning walk is already running: finish or cancel it first.');
        walk = { id, step: 'open', doors, index: 0, finding: null, proposals: [], unlocked: null, otherDoor: null, held: new Set() };
        await probe(who, admin, id);
        return walkOk();
      },
      bankWalkPolarity: async ({ apply }, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        if (!walk) return noWalk();
        if (walk.step !== 'polarity' || walk.proposals.length === 0) return fail('conflict', 'There is no polarity setting waiting to be applied.');
        const who = signedIn(officerId);
        let applied: string[] | null = null;
        if (apply) {
          applied = [];
          for (const { doorNumber, lockOpenWhenSet } of walk.proposals) {
            const saved = await admin.rewire({ kind: 'lock-polarity', doorNumber, lockOpenWhenSet });
            if (!saved.ok) return fail('invalid-request', `The polarity setting could not be saved: ${saved.problems.join('; ')}`);
            applied.push(...saved.changes);
            ctx.services.db.transaction(() =>
              ctx.services.audit.append({ actor: `officer:${who}`, action: 'config.changed', subject: 'terminal-config', details: { changes: saved.changes } }, ctx.services.clock.now()),
            ).immediate();
          }
        }
        walks.recordFinding(walk.id, who, walk.finding ?? '', applied);
        walk.finding = `${walk.finding ?? ''} ${apply ? 'The setting was changed as proposed.' : 'The setting was left as it was.'}`;
        walk.proposals = [];
        walk.step = 'open';
        return walkOk();
      },
      bankWalkOpenDoor: async (_input, officerId) => {
        if (!hardware()) return none();
        if (!walk) return noWalk();
        if (walk.step !== 'open' && walk.step !== 'answer') return fail('conflict', walk.step === 'polarity' ? 'Apply or skip the polarity setting first.' : 'Swap the two doors, or leave it as a finding, first.');
        const current = walk;
        const doorNumber = current.doors[current.index] ?? 0;
        hold(doorNumber);
        const opened = await runServiceOpening(ctx, signedIn(officerId), doorNumber, 'commissioning walk');
        current.unlocked = opened.ok ? `Door ${doorNumber} read open after the unlock.` : opened.message;
        current.step = 'answer';
        return walkOk();
      },
      bankWalkAnswer: ({ answer: given, otherDoor }, officerId) => answer(signedIn(officerId), given, otherDoor),
      bankWalkRemap: async ({ apply }, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        if (!walk) return noWalk();
        if (walk.step !== 'remap' || walk.otherDoor === null) return fail('conflict', 'No door is waiting to be remapped.');
        const who = signedIn(officerId);
        const doorNumber = walk.doors[walk.index] ?? 0;
        if (!apply) {
          advance(who);
          return walkOk();
        }
        const other = walk.otherDoor;
        const saved = await admin.rewire({ kind: 'swap-doors', a: doorNumber, b: other });
        if (!saved.ok) return fail('invalid-request', `The doors could not be swapped: ${saved.problems.join('; ')}`);
        walks.remapped(walk.id, who, doorNumber, other, saved.changes);
        // Same door number, now on the other lock: walk it again to confirm.
        walk.step = 'open';
        walk.unlocked = `Door ${doorNumber} and door ${other} were swapped in the layout: open door ${doorNumber} again to confirm.`;
        walk.otherDoor = null;
        return walkOk();
      },
      cancelBankWalk: (_input, officerId) => {
        if (!walk) return noWalk();
        endWalk(signedIn(officerId), true);
        return walkOk();
      },
      hardwareTest: async (input, officerId) => {
        const admin = hardware();
        if (!admin) return none();
        const result = await test(signedIn(officerId), admin, input);
        admin.note('hardware-screen', `${input.action}: ${result.message}`);
        const { db, audit, clock } = ctx.services;
        db.transaction(() =>
          audit.append({ actor: `officer:${signedIn(officerId)}`, action: 'hardware.test', subject: input.action, details: { test: input, ...result } }, clock.now()),
        ).immediate();
        return { ok: true, value: result };
      },
    },
  };
}
