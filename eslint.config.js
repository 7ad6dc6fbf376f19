// Lint, including the layer rules from ARCHITECTURE.md: a wrong import fails CI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'crypto', 'stream', 'events', 'url', 'util'];
const electron = { name: 'electron', message: 'Only main/shell/electron*.ts, main/electron-main.ts and preload/electron-preload.ts may import electron.' };

/** no-restricted-imports with the given module names and path patterns. */
function restrict(paths, patterns) {
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**', '.data/**', 'estate-data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell/electron*.ts', 'main/electron-main.ts'],
    rules: restrict([electron], [{ group: ['**/renderer/**'], message: 'main never imports the renderer.' }]),
  },
  {
    files: ['main/core/**/*.ts'],
    rules: restrict(
      [electron],
      [{ group: ['**/native-bridges/**', '**/shell/**', '**/devices/**', '**/renderer/**', 'serialport', '@serialport/*', 'usb', 'pg'], message: 'The core knows ports (main/core/ports.ts), not drivers, shells, databases beside its own or hardware packages.' }],
    ),
  },
  {
    // Time is a port: the core reads the Clock and waits on the Scheduler (main/core/ports.ts).
    files: ['main/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'performance'].map((name) => ({ name, message: 'Time is a port: use the Clock or Scheduler from main/core/ports.ts.' }))],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Time is a port: use clock.now().' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Time is a port: use clock.now().' }],
    },
  },
  {
    // The estate is a service of its own (its database, its CLI). It shares the terminal's pure
    // rules (who may draw what, the C2 document, webhook signing) so the two never disagree, but
    // never a terminal's database, hardware, shell or screens.
    files: ['estate/**/*.ts'],
    rules: restrict(
      [electron],
      [{ group: ['**/renderer/**', '**/shell/**', '**/main/core/db/**', '**/native-bridges/transport/**', 'better-sqlite3', 'serialport', '@serialport/*', 'usb'], message: "The estate shares the terminal's pure rules, not its database, hardware, shell or screens." }],
    ),
  },
  {
    files: ['native-bridges/**/*.ts'],
    rules: restrict([electron], [{ group: ['**/main/**', '**/preload/**', '**/renderer/**'], message: 'Bridges import only node built-ins, serialport, usb and other bridges.' }]),
  },
  {
    files: ['preload/contract.ts'],
    rules: restrict([electron, ...NODE_BUILTINS.filter((n) => !n.includes('*'))], [{ group: ['node:*', '**/main/**', '**/native-bridges/**', '**/renderer/**'], message: 'The contract is shared with the renderer: zod and types only.' }]),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', WebSocket: 'readonly', HTMLElement: 'readonly', KeyboardEvent: 'readonly', navigator: 'readonly' } },
    rules: restrict(
      [electron, ...NODE_BUILTINS.filter((n) => !n.includes('*'))],
      [{ group: ['node:*', '**/main/**', '**/native-bridges/**', '**/preload/*', '!**/preload/contract.ts'], message: 'The renderer imports only the contract (preload/contract.ts).' }],
    ),
  },
);
