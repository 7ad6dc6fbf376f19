import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../../', import.meta.url).pathname });

/** Lint a snippet as if it lived at `filePath`, returning the rules it breaks. */
async function broken(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layer rules (ARCHITECTURE.md) are enforced by lint', () => {
  it('the core may not import electron, drivers or hardware packages', async () => {
    expect(await broken('main/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toContain('no-restricted-imports');
    expect(await broken('main/core/x.ts', "import { KerongDriver } from '../../native-bridges/locker-kerong/driver.ts';\nexport const a = KerongDriver;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await broken('main/core/x.ts', "import { SerialPort } from 'serialport';\nexport const a = SerialPort;\n")).toContain('no-restricted-imports');
  });

  it('only the Electron shell files may import electron', async () => {
    expect(await broken('main/shell/browser-shell.ts', "import { app } from 'electron';\nexport const a = app;\n")).toContain('no-restricted-imports');
    expect(await broken('main/shell/electron-window.ts', "import { app } from 'electron';\nexport const a = app;\n")).not.toContain('no-restricted-imports');
  });

  it('bridges never import main/', async () => {
    expect(await broken('native-bridges/x/y.ts', "import { Kiosk } from '../../main/core/kiosk.ts';\nexport const a = Kiosk;\n")).toContain('no-restricted-imports');
  });

  it('the renderer imports only the contract', async () => {
    expect(await broken('renderer/src/x.ts', "import { openDatabase } from '../../main/core/db/database.ts';\nexport const a = openDatabase;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await broken('renderer/src/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toContain('no-restricted-imports');
    expect(await broken('renderer/src/x.ts', "import { REQUEST_NAMES } from '../../preload/contract.ts';\nexport const a = REQUEST_NAMES;\n")).toEqual([]);
  });

  it('the core reads time only through its ports', async () => {
    expect(await broken('main/core/x.ts', 'export const a = Date.now();\n')).toContain('no-restricted-properties');
    expect(await broken('main/core/x.ts', 'export const a = new Date();\n')).toContain('no-restricted-syntax');
    expect(await broken('main/core/x.ts', 'export const a = setTimeout(() => {}, 1);\n')).toContain('no-restricted-globals');
    expect(await broken('main/core/x.ts', "export const a = new Date('2026-12-01');\n")).toEqual([]);
    expect(await broken('main/system-time.ts', 'export const a = Date.now();\n')).toEqual([]);
  });

  it('any is an error', async () => {
    expect(await broken('main/core/x.ts', 'export const a: any = 1;\n')).toContain('@typescript-eslint/no-explicit-any');
  });
});
