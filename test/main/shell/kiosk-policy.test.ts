import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  CrashBackoff,
  SECURITY_HEADERS,
  blockedShortcut,
  contentTypeFor,
  defaultDataDir,
  isAllowedNavigation,
  isAllowedSubresource,
  isAppUrl,
  isTrustedSender,
  parseLaunchArgs,
  resolveStaticPath,
  type KeyInput,
} from '../../../main/shell/kiosk-policy.ts';

function key(partial: Partial<KeyInput> & Pick<KeyInput, 'key'>): KeyInput {
  return { type: 'keyDown', code: '', control: false, meta: false, alt: false, shift: false, ...partial };
}

describe('app URL and navigation policy', () => {
  it('allows only app://kiosk/', () => {
    expect(APP_ENTRY_URL).toBe('app://kiosk/');
    for (const ok of ['app://kiosk/', 'app://kiosk/index.html', 'app://kiosk/assets/app.js?x=1#y']) {
      expect(isAppUrl(ok), ok).toBe(true);
      expect(isAllowedNavigation(ok), ok).toBe(true);
    }
    for (const bad of [
      'app://kiosk',
      'app://kiosk.evil/',
      'app://kiosk:80/',
      'app://user@kiosk/',
      'app://evil/',
      'APP://kiosk/',
      'https://kiosk/',
      'http://127.0.0.1/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>1</script>',
      'about:blank',
      'chrome://settings',
      '',
    ]) {
      expect(isAllowedNavigation(bad), bad).toBe(false);
    }
  });

  it('lets sub-resources come only from our origin and inline data', () => {
    expect(isAllowedSubresource('app://kiosk/assets/logo.svg')).toBe(true);
    expect(isAllowedSubresource('data:image/png;base64,AAAA')).toBe(true);
    expect(isAllowedSubresource('https://cdn.example/x.js')).toBe(false);
    expect(isAllowedSubresource('ws://127.0.0.1:8080/api')).toBe(false);
    expect(isAllowedSubresource('file:///etc/passwd')).toBe(false);
  });
});

describe('blocked shortcuts', () => {
  const blocked: Array<[string, KeyInput]> = [
    ['F5', key({ key: 'F5', code: 'F5' })],
    ['Ctrl+R', key({ key: 'r', code: 'KeyR', control: true })],
    ['Ctrl+Shift+R', key({ key: 'R', code: 'KeyR', control: true, shift: true })],
    ['Cmd+R', key({ key: 'r', code: 'KeyR', meta: true })],
    ['F12', key({ key: 'F12', code: 'F12' })],
    ['Ctrl+Shift+I', key({ key: 'I', code: 'KeyI', control: true, shift: true })],
    ['Ctrl+Shift+J', key({ key: 'J', code: 'KeyJ', control: true, shift: true })],
    ['Ctrl+Shift+C', key({ key: 'C', code: 'KeyC', control: true, shift: true })],
    ['Cmd+Alt+I', key({ key: 'i', code: 'KeyI', meta: true, alt: true })],
    ['Ctrl+=', key({ key: '=', code: 'Equal', control: true })],
    ['Ctrl++', key({ key: '+', code: 'Equal', control: true, shift: true })],
    ['Ctrl+-', key({ key: '-', code: 'Minus', control: true })],
    ['Ctrl+0', key({ key: '0', code: 'Digit0', control: true })],
    ['Ctrl+NumpadAdd', key({ key: '+', code: 'NumpadAdd', control: true })],
    ['Alt+F4', key({ key: 'F4', code: 'F4', alt: true })],
    ['Ctrl+W', key({ key: 'w', code: 'KeyW', control: true })],
    ['Ctrl+Q', key({ key: 'q', code: 'KeyQ', control: true })],
    ['Ctrl+N', key({ key: 'n', code: 'KeyN', control: true })],
    ['Ctrl+P', key({ key: 'p', code: 'KeyP', control: true })],
    ['Ctrl+U', key({ key: 'u', code: 'KeyU', control: true })],
    ['F11', key({ key: 'F11', code: 'F11' })],
    ['Alt+Left', key({ key: 'ArrowLeft', code: 'ArrowLeft', alt: true })],
    ['BrowserBack', key({ key: 'BrowserBack', code: 'BrowserBack' })],
    ['Ctrl+R keyUp', key({ type: 'keyUp', key: 'r', code: 'KeyR', control: true })],
    ['AZERTY Ctrl+W (physical Z)', key({ key: 'w', code: 'KeyZ', control: true })],
  ];
  for (const [name, input] of blocked) {
    it(`blocks ${name}`, () => {
      expect(blockedShortcut(input)).not.toBeNull();
    });
  }

  it('names what it blocked', () => {
    expect(blockedShortcut(key({ key: 'F5', code: 'F5' }))).toBe('reload');
    expect(blockedShortcut(key({ key: 'I', code: 'KeyI', control: true, shift: true }))).toBe('devtools');
    expect(blockedShortcut(key({ key: '-', code: 'Minus', control: true }))).toBe('zoom');
    expect(blockedShortcut(key({ key: 'F4', code: 'F4', alt: true }))).toBe('close');
  });

  const allowed: Array<[string, KeyInput]> = [
    ['digits for the PIN', key({ key: '7', code: 'Digit7' })],
    ['numpad digits', key({ key: '0', code: 'Numpad0' })],
    ['Enter', key({ key: 'Enter', code: 'Enter' })],
    ['Backspace', key({ key: 'Backspace', code: 'Backspace' })],
    ['Escape', key({ key: 'Escape', code: 'Escape' })],
    ['Tab', key({ key: 'Tab', code: 'Tab' })],
    ['Shift+letter', key({ key: 'R', code: 'KeyR', shift: true })],
    ['plain r', key({ key: 'r', code: 'KeyR' })],
    ['Ctrl+C copy', key({ key: 'c', code: 'KeyC', control: true })],
    ['Ctrl+V paste', key({ key: 'v', code: 'KeyV', control: true })],
    ['Ctrl+A select all', key({ key: 'a', code: 'KeyA', control: true })],
    ['a mouse event', { type: 'mouseDown', key: '', code: '', control: true, meta: false, alt: false, shift: false }],
  ];
  for (const [name, input] of allowed) {
    it(`lets ${name} through`, () => {
      expect(blockedShortcut(input)).toBeNull();
    });
  }
});

describe('IPC sender check', () => {
  const main = { processId: 4, routingId: 1 };
  const frame = (over: Partial<{ processId: number; routingId: number; url: string; isMainFrame: boolean }> = {}) => ({
    processId: 4,
    routingId: 1,
    url: 'app://kiosk/',
    isMainFrame: true,
    ...over,
  });

  it('trusts the main frame of our window showing our origin', () => {
    expect(isTrustedSender(frame(), main)).toBe(true);
    expect(isTrustedSender(frame({ url: 'app://kiosk/index.html#home' }), main)).toBe(true);
  });

  it('refuses anything else', () => {
    expect(isTrustedSender(null, main)).toBe(false);
    expect(isTrustedSender(frame(), null)).toBe(false);
    expect(isTrustedSender(frame({ isMainFrame: false }), main)).toBe(false);
    expect(isTrustedSender(frame({ routingId: 2 }), main)).toBe(false);
    expect(isTrustedSender(frame({ processId: 5 }), main)).toBe(false);
    expect(isTrustedSender(frame({ url: 'https://evil.example/' }), main)).toBe(false);
    expect(isTrustedSender(frame({ url: 'app://kiosk.evil/' }), main)).toBe(false);
    expect(isTrustedSender(frame({ url: 'file:///tmp/x.html' }), main)).toBe(false);
    expect(isTrustedSender(frame({ url: '' }), main)).toBe(false);
  });
});

describe('renderer crash back-off', () => {
  it('backs off exponentially, caps the delay and gives up on a crash loop', () => {
    const policy = new CrashBackoff({ windowMs: 60_000, maxCrashes: 4, baseDelayMs: 1_000, maxDelayMs: 5_000 });
    expect(policy.recordCrash(0)).toEqual({ action: 'reload', delayMs: 1_000 });
    expect(policy.recordCrash(1_000)).toEqual({ action: 'reload', delayMs: 2_000 });
    expect(policy.recordCrash(2_000)).toEqual({ action: 'reload', delayMs: 4_000 });
    expect(policy.recordCrash(3_000)).toEqual({ action: 'reload', delayMs: 5_000 });
    expect(policy.recordCrash(4_000)).toEqual({ action: 'give-up', crashes: 5 });
  });

  it('forgets crashes older than the window', () => {
    const policy = new CrashBackoff({ windowMs: 10_000, maxCrashes: 2 });
    policy.recordCrash(0);
    policy.recordCrash(1_000);
    expect(policy.recordCrash(60_000)).toEqual({ action: 'reload', delayMs: 1_000 });
  });
});

describe('static files and headers', () => {
  const root = path.resolve('/srv/renderer');

  it('maps paths inside the root and defaults to index.html', () => {
    expect(resolveStaticPath(root, '/')).toBe(path.join(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveStaticPath(root, '/assets/')).toBe(path.join(root, 'assets', 'index.html'));
    expect(resolveStaticPath(root, '/assets/my%20file.png')).toBe(path.join(root, 'assets', 'my file.png'));
  });

  it('refuses traversal, encoded traversal, NUL, backslashes and dotfiles', () => {
    for (const bad of [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E%2Fpackage.json',
      '/assets/%2e%2e/%2e%2e/etc/passwd',
      '/..%5c..%5cwindows',
      '/assets\\..\\x',
      '/index.html%00.png',
      '/.env',
      '/assets/.git/config',
      '/%E0%A4%A',
      'relative/path',
      '',
    ]) {
      expect(resolveStaticPath(root, bad), bad).toBeNull();
    }
  });

  it('knows the content types the renderer uses', () => {
    expect(contentTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('a/app.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('a/app.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('a/font.woff2')).toBe('font/woff2');
    expect(contentTypeFor('a/beep.wav')).toBe('audio/wav');
    expect(contentTypeFor('a/unknown.bin')).toBe('application/octet-stream');
  });

  it('sends the strict CSP and hardening headers', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
    expect(SECURITY_HEADERS['Cache-Control']).toBe('no-store');
    expect(Object.isFrozen(SECURITY_HEADERS)).toBe(true);
  });
});

describe('launch arguments', () => {
  it('defaults to demo mode with nothing set', () => {
    expect(parseLaunchArgs([], { strict: true })).toEqual({
      ok: true,
      args: { port: null, dataDir: null, configPath: null, demo: true, headless: false, clockFrom: null, help: false },
    });
  });

  it('parses every flag, with spaces or =', () => {
    const parsed = parseLaunchArgs(['--port', '8123', '--data-dir=/var/lib/k', '--config', 'c.json', '--live', '--headless'], { strict: true });
    expect(parsed).toEqual({
      ok: true,
      args: { port: 8123, dataDir: '/var/lib/k', configPath: 'c.json', demo: false, headless: true, clockFrom: null, help: false },
    });
  });

  it("starts a demo terminal's clock at a time of day, and never a live one", () => {
    expect(parseLaunchArgs(['--clock-from', '12:00'], { strict: true })).toMatchObject({ ok: true, args: { clockFrom: '12:00', demo: true } });
    expect(parseLaunchArgs(['--clock-from', '25:00'], { strict: true }).ok).toBe(false);
    expect(parseLaunchArgs(['--clock-from', '12:00', '--live'], { strict: true })).toEqual({ ok: false, message: expect.stringMatching(/demo mode only/) });
  });

  it('refuses bad values and, when strict, unknown flags', () => {
    expect(parseLaunchArgs(['--port', 'eighty'], { strict: true }).ok).toBe(false);
    expect(parseLaunchArgs(['--port', '70000'], { strict: true }).ok).toBe(false);
    expect(parseLaunchArgs(['--port'], { strict: true }).ok).toBe(false);
    expect(parseLaunchArgs(['--data-dir', '--live'], { strict: true }).ok).toBe(false);
    expect(parseLaunchArgs(['--frobnicate'], { strict: true }).ok).toBe(false);
  });

  it('ignores switches it does not know when lenient (Electron adds its own)', () => {
    const parsed = parseLaunchArgs(['.', '--remote-debugging-port=0', '--no-sandbox', '--live'], { strict: false });
    expect(parsed.ok && parsed.args.demo).toBe(false);
  });

  it('puts data in the checkout when run from source, else in the XDG data folder', () => {
    expect(defaultDataDir('/repo', {}, '/home/pc', true)).toBe(path.join('/repo', '.data'));
    expect(defaultDataDir('/opt/kiosk', {}, '/home/pc', false)).toBe(path.join('/home/pc', '.local', 'share', 'armoury-kiosk'));
    expect(defaultDataDir('/opt/kiosk', { XDG_DATA_HOME: '/data' }, '/home/pc', false)).toBe(path.join('/data', 'armoury-kiosk'));
    expect(defaultDataDir('/opt/kiosk', { XDG_DATA_HOME: 'relative' }, '/home/pc', false)).toBe(
      path.join('/home/pc', '.local', 'share', 'armoury-kiosk'),
    );
  });
});
