import { afterEach, describe, expect, it } from 'vitest';
import {
  MilestoneTrigger,
  formatMilestoneMessage,
  parseMilestoneMessage,
  parseMilestoneReply,
  sanitiseMilestoneField,
} from '../../../native-bridges/video-trigger/milestone.ts';
import type { MilestoneTriggerOptions } from '../../../native-bridges/video-trigger/milestone.ts';
import { MilestoneSimulator } from '../../../native-bridges/video-trigger/milestone-simulator.ts';
import type { MilestoneSimulatorOptions } from '../../../native-bridges/video-trigger/milestone-simulator.ts';
import type { LinkHealth } from '../../../native-bridges/device-health.ts';
import { expectTriggerError, videoEvent } from './events.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function rig(
  simOptions: MilestoneSimulatorOptions = {},
  triggerOptions: Partial<MilestoneTriggerOptions> = {},
): Promise<{ sim: MilestoneSimulator; trigger: MilestoneTrigger }> {
  const sim = await MilestoneSimulator.start({ port: 0, ...simOptions });
  const trigger = new MilestoneTrigger({ host: '127.0.0.1', port: sim.port, replyTimeoutMs: 300, connectTimeoutMs: 300, ...triggerOptions });
  cleanups.push(async () => {
    await trigger.close();
    await sim.close();
  });
  return { sim, trigger };
}

describe('Milestone message format', () => {
  it('formats the generic event line from PROTOCOLS.md', () => {
    const line = formatMilestoneMessage(videoEvent({ terminal: 'T1', kind: 'RETURN', asset: 'G17-0042', officer: 'PC1234', camera: 'CAM3' }));
    expect(line).toBe('ARMOURY T1 RETURN G17-0042 PC1234 CAM=CAM3\r\n');
  });

  it('sanitises fields so none can add tokens or end the line early', () => {
    expect(sanitiseMilestoneField('Taser 7\r\nARMOURY T9 ISSUE')).toBe('Taser_7__ARMOURY_T9_ISSUE');
    expect(sanitiseMilestoneField('')).toBe('-');
    expect(sanitiseMilestoneField('Ünïcode\ttab')).toBe('_n_code_tab');
    expect(sanitiseMilestoneField('x'.repeat(100))).toHaveLength(64);
    const line = formatMilestoneMessage(videoEvent({ asset: 'a b\r\nc', officer: '', camera: 'CAM 1' }));
    expect(line.split(' ')).toHaveLength(6);
    expect(line.indexOf('\r\n')).toBe(line.length - 2);
    expect(parseMilestoneMessage(line)).toEqual({ terminal: 'T1', kind: 'ISSUE', asset: 'a_b__c', officer: '-', camera: 'CAM_1' });
  });

  it('classifies statistics, echo and anything else', () => {
    expect(parseMilestoneReply('3,44,1,Armoury issue\r\n')).toEqual({ type: 'statistics', request: 3, length: 44, matches: 1, names: ['Armoury issue'] });
    expect(parseMilestoneReply('1,40,0,\r\n')).toEqual({ type: 'statistics', request: 1, length: 40, matches: 0, names: [] });
    const sent = 'ARMOURY T1 ISSUE A B CAM=C\r\n';
    expect(parseMilestoneReply(sent, sent)).toEqual({ type: 'echo' });
    expect(parseMilestoneReply(Buffer.from([0, 0xff, 0x13, 0x0a]))).toMatchObject({ type: 'unknown' });
    expect(parseMilestoneReply('')).toMatchObject({ type: 'unknown' });
  });
});

describe('MilestoneTrigger against the simulator on loopback', () => {
  it('delivers an event the VMS acknowledges, and reports online', async () => {
    const { sim, trigger } = await rig();
    const healths: LinkHealth[] = [];
    trigger.onHealth((h) => healths.push(h));
    expect(trigger.health().state).toBe('connecting');

    await trigger.send(videoEvent({ terminal: 'T7', kind: 'ISSUE', asset: 'TASER-9', officer: 'PC99', camera: 'CAM2' }));

    expect(sim.events).toHaveLength(1);
    expect(sim.events[0]?.message).toEqual({ terminal: 'T7', kind: 'ISSUE', asset: 'TASER-9', officer: 'PC99', camera: 'CAM2' });
    expect(sim.events[0]?.remoteAddress).toBe('127.0.0.1');
    expect(trigger.lastReply).toEqual({ type: 'statistics', request: 1, length: 40, matches: 1, names: ['Armoury'] });
    expect(healths.at(-1)).toEqual({ state: 'online', lastError: null });
  });

  it('uses one connection per event', async () => {
    const { sim, trigger } = await rig();
    for (let i = 0; i < 3; i++) await trigger.send(videoEvent());
    expect(sim.events.map((e) => e.message?.kind)).toEqual(['ISSUE', 'ISSUE', 'ISSUE']);
    expect(sim.connections).toBe(3);
  });

  it('accepts the echo-all-bytes mode, and fragmented replies', async () => {
    const { sim, trigger } = await rig({ echo: 'all', faults: { fragment: true } });
    await trigger.send(videoEvent());
    expect(trigger.lastReply).toEqual({ type: 'echo' });
    expect(sim.events).toHaveLength(1);
  });

  it('counts delivery with no matching rule as accepted but degraded', async () => {
    const { trigger } = await rig({ rules: [{ name: 'Other', match: 'NOPE' }] });
    await trigger.send(videoEvent());
    expect(trigger.health().state).toBe('degraded');
    expect(trigger.health().lastError).toMatch(/no generic event matched/);
  });

  it('is refused by the allow-list when connecting from a non-listed IP (127.0.0.2)', async () => {
    const { sim, trigger } = await rig({ allow: ['127.0.0.1'] }, { localAddress: '127.0.0.2' });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(error.message).toMatch(/allow-list/);
    expect(sim.refused).toEqual(['127.0.0.2']);
    expect(sim.events).toHaveLength(0);
    expect(trigger.health().state).toBe('offline');
  });

  it('is accepted from 127.0.0.2 once that IP is allowed', async () => {
    const { sim, trigger } = await rig({ allow: ['127.0.0.2'] }, { localAddress: '127.0.0.2' });
    await trigger.send(videoEvent());
    expect(sim.events[0]?.remoteAddress).toBe('127.0.0.2');
  });

  it('times out when the VMS never replies', async () => {
    const { sim, trigger } = await rig({ faults: { noReply: true } }, { replyTimeoutMs: 150 });
    const started = Date.now();
    const error = await expectTriggerError(trigger.send(videoEvent()), 'timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(error.message).toMatch(/no reply within 150 ms/);
    // The VMS did receive it: that is why a timeout is retried and the far end must de-duplicate.
    expect(sim.events).toHaveLength(1);
    expect(trigger.health().state).toBe('degraded');
  });

  it('times out on a reply slower than the reply timeout, and succeeds within it', async () => {
    const { sim, trigger } = await rig({ faults: { delayMs: 250 } }, { replyTimeoutMs: 100 });
    await expectTriggerError(trigger.send(videoEvent()), 'timeout');
    await sim.setFaults({ delayMs: 20 });
    await trigger.send(videoEvent());
  });

  it('reports garbage as a protocol error', async () => {
    const { trigger } = await rig({ faults: { garbage: 1 } });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'protocol');
    expect(error.message).toMatch(/not a Milestone echo/);
  });

  it('reports a stopped VMS as unreachable, and recovers when it is back', async () => {
    const { sim, trigger } = await rig();
    await sim.setFaults({ down: true });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(trigger.health().state).toBe('offline');
    await sim.setFaults({ down: false });
    await trigger.send(videoEvent());
    expect(trigger.health().state).toBe('online');
  });

  it('with expectReply false, counts a clean close as accepted', async () => {
    const { sim, trigger } = await rig({ faults: { noReply: true } }, { expectReply: false });
    await trigger.send(videoEvent());
    expect(sim.events).toHaveLength(1);
  });

  it('refuses to send after close', async () => {
    const { trigger } = await rig();
    await trigger.close();
    await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
  });
});
