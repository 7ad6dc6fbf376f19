#!/usr/bin/env node
// Vitest, run where and when a hidden dependency on the wall clock would show: in
// Pacific/Kiritimati (UTC+14, on another date than UTC ten hours a day), with faketime starting
// the clock at 08:00 there, when loans the demo seeds as due back by 07:00 read overdue to
// anything that used the real clock. Time is a port: the suite must pass anyway. One run, not
// an ordinary one and then this one, keeps CI short.
//
// Without faketime (not installed; or ARMOURY_REAL_CLOCK=1 to debug at the real time) the suite
// still runs in that zone. Arguments go to `vitest run`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ZONE = 'Pacific/Kiritimati';
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const args = [vitest, 'run', ...process.argv.slice(2)];
const env = { ...process.env, TZ: ZONE };

const hasFaketime = spawnSync('faketime', ['--version'], { stdio: 'ignore' }).error === undefined;
const fake = hasFaketime && process.env.ARMOURY_REAL_CLOCK !== '1';
// Today's date in that zone, as faketime reads its start time in TZ.
const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
console.log(fake ? `unit tests: TZ=${ZONE}, clock started at ${today} 08:00 there (faketime)` : `unit tests: TZ=${ZONE}, real clock${hasFaketime ? '' : ' (faketime is not installed)'}`);

const result = fake
  ? // Monotonic clocks stay real: timeouts and performance.now() keep working.
    spawnSync('faketime', ['-f', `@${today} 08:00:00`, process.execPath, ...args], { stdio: 'inherit', env: { ...env, FAKETIME_DONT_FAKE_MONOTONIC: '1' } })
  : spawnSync(process.execPath, args, { stdio: 'inherit', env });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
