import type { DemoView, DeviceHealthView, KioskSnapshot, ScreenView, SessionView } from '../../preload/contract.ts';
import type { KioskContext } from './journeys/journey.ts';
import type { Session } from './session.ts';

/** The picture main pushes to the renderer after every change: screen, session, idle, devices, demo. */
export function buildSnapshot(ctx: KioskContext, session: Session, revision: number): KioskSnapshot {
  const { deps, policy } = ctx;
  return {
    terminalName: deps.terminalName,
    mode: deps.demo ? 'demo' : 'live',
    screen: screenView(session),
    session: sessionView(ctx, session.officerId),
    idle: { warningSecondsLeft: session.warningSecondsLeft(), timeoutSeconds: policy.idleTimeoutSeconds, doneSecondsLeft: session.doneSecondsLeft() },
    devices: officerDevices(ctx),
    lockers: ctx.lockerStatus(),
    doorBanks: ctx.services.records.namedBanks(ctx.services.bankId),
    demo: demoView(ctx),
    keyboardScanFallback: deps.scanner.keyboardFallback(),
    setup: ctx.services.commissioning.setupView(),
    enrolling: ctx.services.commissioning.enrolling(session.officerId),
    revision,
  };
}

function screenView(session: Session): ScreenView {
  const pin = session.pin;
  if (pin) return { kind: 'pin', message: pin.message, attemptsLocked: pin.locked, choosing: pin.choosing };
  if (session.journey) return session.journey.screen();
  return session.screen ?? { kind: 'idle' };
}

function sessionView(ctx: KioskContext, officerId: number | null): SessionView | null {
  if (officerId === null) return null;
  const { records, eligibility, refresh } = ctx.services;
  const officer = records.officer(officerId);
  if (!officer) return null;
  return {
    officerId: officer.id,
    collarNumber: officer.collarNumber,
    displayName: officer.displayName,
    roles: officer.roles,
    holdings: records.holdings(officer.id).map(({ assetTypeId: _type, ...holding }) => holding),
    drawOptions: eligibility.drawOptions(officer.id),
    qualifications: eligibility.qualifications(officer.id),
    swapOrders: refresh.ordersFor(officer.id),
    bookings: ctx.services.bookings.forOfficer(officer.id),
  };
}

function demoView(ctx: KioskContext): DemoView | null {
  const demo = ctx.deps.demo;
  if (!demo) return null;
  const labels = ctx.services.records.doorLabels(ctx.services.bankId);
  return {
    doors: demo.room.doors().map((d) => ({ number: d.doorNumber, open: d.open, itemPresent: d.itemPresent, assetLabel: labels.get(d.doorNumber) ?? null })),
    cards: demo.cards,
    tags: ctx.services.records.demoTags(),
  };
}

/**
 * Every device as an officer may see it: the name a site admin chose and its state. Labels
 * (which carry port paths and driver ids) and raw errors stay on the hardware screen. A bank
 * whose readings are implausible shows its buses as degraded too.
 */
function officerDevices(ctx: KioskContext): DeviceHealthView[] {
  const implausible = ctx.plausibility().problems.length > 0;
  return ctx.deps.devices.list().map((d) => ({
    id: d.id,
    label: d.name ?? 'Device',
    state: implausible && d.id.startsWith('bus:') && d.state !== 'offline' ? 'degraded' : d.state,
    lastError: null,
  }));
}
