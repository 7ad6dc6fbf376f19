// Loaded into the terminal's process with `node --import` by the peer-style bench when asked
// (`--peer-gc`), so the worst samples can be set beside the main thread's garbage collections
// without touching the product. Plain JavaScript: the built terminal runs without a TypeScript
// loader. Entries are kept in memory and written once, at exit, so the probe does no I/O while
// the terminal is being timed.
import { writeFileSync } from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.ARMOURY_BENCH_GC_FILE;
if (file) {
  const KINDS = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks' };
  const collections = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // On the shared epoch (performance.timeOrigin + the entry's own start), like every other stamp.
      collections.push({ at: performance.timeOrigin + entry.startTime, ms: entry.duration, kind: KINDS[entry.detail?.kind] ?? String(entry.detail?.kind) });
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('exit', () => writeFileSync(file, JSON.stringify(collections)));
}
