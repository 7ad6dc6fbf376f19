import { afterEach, describe, expect, it } from 'vitest';
import {
  OnvifRelayTrigger,
  buildSecurityHeader,
  buildSetRelayOutputSettings,
  buildSetRelayOutputState,
  formatXsdDuration,
  parseSoapFault,
  parseXsdDuration,
  passwordDigest,
} from '../../../native-bridges/video-trigger/onvif.ts';
import type { OnvifRelayTriggerOptions, WsSecurityToken } from '../../../native-bridges/video-trigger/onvif.ts';
import { OnvifSimulator } from '../../../native-bridges/video-trigger/onvif-simulator.ts';
import type { OnvifSimulatorOptions } from '../../../native-bridges/video-trigger/onvif-simulator.ts';
import { expectTriggerError, videoEvent } from './events.ts';

// The worked example from the ONVIF Application Programmer's Guide (WS-UsernameToken section).
const GUIDE_TOKEN: WsSecurityToken = {
  username: 'user',
  password: 'userpassword',
  nonce: Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64'),
  created: '2010-09-16T07:50:45Z',
};

const SECURITY_FIXTURE =
  '<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
  '<wsse:UsernameToken><wsse:Username>user</wsse:Username>' +
  '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">tuOSpGlFlIXsozq4HFNeeGeFLEI=</wsse:Password>' +
  '<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">LKqI6G/AikKCQrN0zqZFlg==</wsse:Nonce>' +
  '<wsu:Created>2010-09-16T07:50:45Z</wsu:Created></wsse:UsernameToken></wsse:Security>';

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">' +
  `<s:Header>${SECURITY_FIXTURE}</s:Header><s:Body>`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function rig(
  simOptions: Partial<OnvifSimulatorOptions> = {},
  triggerOptions: Partial<OnvifRelayTriggerOptions> = {},
): Promise<{ sim: OnvifSimulator; trigger: OnvifRelayTrigger }> {
  const sim = await OnvifSimulator.start({ username: 'armoury', password: 'p@ss<word>', ...simOptions });
  const trigger = new OnvifRelayTrigger({ url: sim.url, username: 'armoury', password: 'p@ss<word>', relayToken: 'RelayOutputToken1', pulseMs: 80, timeoutMs: 500, ...triggerOptions });
  cleanups.push(async () => {
    await trigger.close();
    await sim.close();
  });
  return { sim, trigger };
}

describe('ONVIF envelopes', () => {
  it('computes the PasswordDigest of the programmer guide example', () => {
    expect(passwordDigest(GUIDE_TOKEN.nonce, GUIDE_TOKEN.created, GUIDE_TOKEN.password)).toBe('tuOSpGlFlIXsozq4HFNeeGeFLEI=');
    expect(buildSecurityHeader(GUIDE_TOKEN)).toBe(SECURITY_FIXTURE);
  });

  it('builds SetRelayOutputSettings (monostable with DelayTime)', () => {
    expect(buildSetRelayOutputSettings('AlarmOut_0', { delayMs: 1500, idleState: 'open' }, GUIDE_TOKEN)).toBe(
      `${ENVELOPE_OPEN}<tds:SetRelayOutputSettings><tds:RelayOutputToken>AlarmOut_0</tds:RelayOutputToken>` +
        '<tds:Properties><tt:Mode>Monostable</tt:Mode><tt:DelayTime>PT1.5S</tt:DelayTime><tt:IdleState>open</tt:IdleState></tds:Properties>' +
        '</tds:SetRelayOutputSettings></s:Body></s:Envelope>',
    );
  });

  it('builds SetRelayOutputState, escaping the token', () => {
    expect(buildSetRelayOutputState('Relay<1>&', 'active', GUIDE_TOKEN)).toBe(
      `${ENVELOPE_OPEN}<tds:SetRelayOutputState><tds:RelayOutputToken>Relay&lt;1&gt;&amp;</tds:RelayOutputToken>` +
        '<tds:LogicalState>active</tds:LogicalState></tds:SetRelayOutputState></s:Body></s:Envelope>',
    );
  });

  it('formats and parses xs:duration', () => {
    expect([500, 1000, 2250].map(formatXsdDuration)).toEqual(['PT0.5S', 'PT1S', 'PT2.25S']);
    expect(parseXsdDuration('PT0.5S')).toBe(500);
    expect(parseXsdDuration('PT1M2S')).toBe(62_000);
    expect(parseXsdDuration('PT1H')).toBe(3_600_000);
    expect(parseXsdDuration('PT')).toBeNull();
    expect(parseXsdDuration('5 seconds')).toBeNull();
  });

  it('parses a SOAP 1.2 fault with any prefixes', () => {
    const fault =
      '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"><SOAP-ENV:Body><SOAP-ENV:Fault>' +
      '<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>' +
      '<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not Authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>';
    expect(parseSoapFault(fault)).toEqual({ code: 'SOAP-ENV:Sender', subcode: 'ter:NotAuthorized', reason: 'Sender not Authorized' });
    expect(parseSoapFault('<env:Envelope><env:Body><tds:SetRelayOutputStateResponse/></env:Body></env:Envelope>')).toBeNull();
  });
});

describe('OnvifRelayTrigger against the simulator', () => {
  it('sets the relay monostable once, then pulses it per event; the device ends each pulse', async () => {
    const { sim, trigger } = await rig();
    await trigger.send(videoEvent());
    expect(sim.settings.get('RelayOutputToken1')).toEqual({ mode: 'Monostable', delayMs: 80, idleState: 'open' });
    expect(sim.state.get('RelayOutputToken1')).toBe('active');
    await expect.poll(() => sim.state.get('RelayOutputToken1'), { timeout: 1000, interval: 10 }).toBe('inactive');
    await trigger.send(videoEvent());
    await expect.poll(() => sim.changes.length, { timeout: 1000, interval: 10 }).toBe(4);
    expect(sim.changes.map((c) => `${c.state}/${c.cause}`)).toEqual(['active/command', 'inactive/delay', 'active/command', 'inactive/delay']);
    expect(trigger.health()).toEqual({ state: 'online', lastError: null });
  });

  it('sends settings only once while all is well, and again after a fault', async () => {
    const { sim, trigger } = await rig();
    let settingsCalls = 0;
    const original = sim.settings.set.bind(sim.settings);
    sim.settings.set = (key, value) => {
      settingsCalls++;
      return original(key, value);
    };
    await trigger.send(videoEvent());
    await trigger.send(videoEvent());
    expect(settingsCalls).toBe(1);
    await sim.setFaults({ garbage: 1 });
    await expectTriggerError(trigger.send(videoEvent()), 'protocol');
    await sim.setFaults({ garbage: 0 });
    await trigger.send(videoEvent());
    expect(settingsCalls).toBe(2);
  });

  it('a wrong password is a SOAP fault: rejected, and nothing switches', async () => {
    const { sim, trigger } = await rig({}, { password: 'wrong' });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'rejected');
    expect(error.message).toMatch(/env:Sender ter:NotAuthorized: password digest does not match/);
    expect(sim.authFailures).toBe(1);
    expect(sim.changes).toHaveLength(0);
  });

  it('an unknown relay token is rejected', async () => {
    const { trigger } = await rig({}, { relayToken: 'NoSuchRelay' });
    const error = await expectTriggerError(trigger.send(videoEvent()), 'rejected');
    expect(error.message).toMatch(/InvalidArgVal/);
  });

  it('the simulator refuses a replayed nonce', async () => {
    const nonce = Buffer.alloc(16, 7);
    const { sim, trigger } = await rig({}, { nonce: () => nonce });
    // Settings used the nonce; the state call re-uses it and is refused.
    const error = await expectTriggerError(trigger.send(videoEvent()), 'rejected');
    expect(error.message).toMatch(/nonce already used/);
    expect(sim.changes).toHaveLength(0);
  });

  it('no answer is a timeout; a device that is off is unreachable', async () => {
    const { sim, trigger } = await rig({ faults: { noReply: true } }, { timeoutMs: 100 });
    await expectTriggerError(trigger.send(videoEvent()), 'timeout');
    await sim.setFaults({ noReply: false, down: true });
    await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
    expect(trigger.health().state).toBe('offline');
  });
});
