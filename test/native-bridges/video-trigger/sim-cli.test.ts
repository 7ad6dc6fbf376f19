import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { parseVideoSimArgs, videoSimCommand } from '../../../native-bridges/video-trigger/sim-cli.ts';
import { MilestoneTrigger } from '../../../native-bridges/video-trigger/milestone.ts';
import { WebhookTrigger } from '../../../native-bridges/video-trigger/webhook.ts';
import { OnvifRelayTrigger } from '../../../native-bridges/video-trigger/onvif.ts';
import { expectTriggerError, videoEvent } from './events.ts';

/** A port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const SECRET = 'sim cli shared secret';

describe('video sim command', () => {
  it('is named "video" and documents its options', () => {
    expect(videoSimCommand.name).toBe('video');
    for (const flag of ['--milestone', '--allow', '--webhook', '--secret', '--onvif', '--user', '--password', '--down', '--delay', '--no-reply']) {
      expect(videoSimCommand.usage).toContain(flag);
    }
  });

  it('rejects bad arguments with a clear message', () => {
    expect(() => parseVideoSimArgs([])).toThrow(/at least one of/);
    expect(() => parseVideoSimArgs(['--milestone', 'x'])).toThrow(/--milestone needs a port/);
    expect(() => parseVideoSimArgs(['--webhook', '9000'])).toThrow(/--secret/);
    expect(() => parseVideoSimArgs(['--onvif', '9000', '--user', 'u'])).toThrow(/--password/);
    expect(() => parseVideoSimArgs(['--milestone', '1234', '--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseVideoSimArgs(['--milestone', '1234', '--up-after', '10'])).toThrow(/--down/);
    expect(parseVideoSimArgs(['--milestone', '1234', '--allow', '10.0.0.5', '--delay', '20', '--no-reply'])).toMatchObject({
      milestone: { port: 1234, allow: ['10.0.0.5'] },
      delayMs: 20,
      noReply: true,
    });
  });

  it('runs all three simulators on real ports and logs each received event', async () => {
    const [m, w, o] = [await freePort(), await freePort(), await freePort()];
    const lines: string[] = [];
    const stop = await videoSimCommand.start(
      ['--milestone', String(m), '--webhook', String(w), '--secret', SECRET, '--onvif', String(o), '--user', 'admin', '--password', 'pw'],
      (line) => lines.push(line),
    );
    const triggers = [
      new MilestoneTrigger({ host: '127.0.0.1', port: m }),
      new WebhookTrigger({ url: `http://127.0.0.1:${w}/`, secret: SECRET }),
      new OnvifRelayTrigger({ url: `http://127.0.0.1:${o}/onvif/device_service`, username: 'admin', password: 'pw', relayToken: 'RelayOutputToken1', pulseMs: 20 }),
    ];
    try {
      for (const trigger of triggers) await trigger.send(videoEvent({ asset: 'SIM-1', officer: 'PC7' }));
      await expect.poll(() => lines.some((l) => l.startsWith('onvif relay RelayOutputToken1 inactive (delay)'))).toBe(true);
      expect(lines.some((l) => l.startsWith('milestone 127.0.0.1: ARMOURY T1 ISSUE SIM-1 PC7 CAM=CAM-ARMOURY-1 -> matched Armoury'))).toBe(true);
      expect(lines.some((l) => l.startsWith('webhook ISSUE SIM-1 officer PC7'))).toBe(true);
    } finally {
      for (const trigger of triggers) await trigger.close();
      await stop();
    }
  });

  it('plays an outage that ends by itself with --down --up-after', async () => {
    const m = await freePort();
    const lines: string[] = [];
    const stop = await videoSimCommand.start(['--milestone', String(m), '--down', '--up-after', '150'], (line) => lines.push(line));
    const trigger = new MilestoneTrigger({ host: '127.0.0.1', port: m });
    try {
      await expectTriggerError(trigger.send(videoEvent()), 'unreachable');
      await expect.poll(() => lines.includes('up: listening again')).toBe(true);
      await trigger.send(videoEvent());
    } finally {
      await trigger.close();
      await stop();
    }
  });
});
