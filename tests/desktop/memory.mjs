// The desktop app's memory, for docs/benchmarks.md: started hidden (`--minimized`), with its
// window shown, and after the window was closed to the tray. Prints a Markdown table; asserts
// nothing about the numbers. Run through `scripts/desktop-memory.sh` (Xvfb, D-Bus, keyring
// and the fake upstream are set up there, as for the smoke test).
//
// PSS (proportional set size) is summed over the app and every process it started (WebKit's
// web and network processes): shared libraries are counted once across them, so the sum is
// what the app costs the machine. RSS is shown for comparison.

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { APP, LOG_DIR, sleep, until, healthy, visibleWindows } from './harness.mjs';

const SETTLE_MS = Number(process.env.SETTLE_MS || 10000);

/** `pid` and all its descendants. */
function tree(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {}
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    out.push(p);
    queue.push(...(children.get(p) || []));
  }
  return out;
}

function kib(file, field) {
  try {
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0;
  }
}

function memory(pid) {
  const pids = tree(pid);
  let pss = 0;
  let rss = 0;
  const parts = [];
  for (const p of pids) {
    const one = kib(`/proc/${p}/smaps_rollup`, 'Pss');
    pss += one;
    rss += kib(`/proc/${p}/status`, 'VmRSS');
    let name = '?';
    try {
      name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    } catch {}
    parts.push(`${name} ${(one / 1024).toFixed(0)}`);
  }
  return { pss: pss / 1024, rss: rss / 1024, parts: parts.join(', ') };
}

function launch(args, name) {
  const out = openSync(join(LOG_DIR, `memory-${name}.log`), 'a');
  const child = spawn(APP, args, { stdio: ['ignore', out, out], env: process.env });
  return { child, exited: new Promise((r) => child.once('exit', r)) };
}

const rows = [];
function measure(state, pid) {
  const m = memory(pid);
  rows.push(`| ${state} | ${m.pss.toFixed(1)} | ${m.rss.toFixed(1)} | ${m.parts} |`);
}

// A window manager and a tray host (tests/desktop/tray_host.py): without a tray, closing the
// window quits the app instead of hiding it.
const wm = spawn('openbox', ['--sm-disable'], { stdio: 'ignore' });
const host = spawn('python3', [new URL('./tray_host.py', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
let hostOut = '';
host.stdout.on('data', (d) => (hostOut += d));
await until('the tray host', () => hostOut.includes('ready'), 15000);
const app = launch(['--minimized'], 'minimized');
try {
  await until('the icon registered with the tray host', () => /^item \S+/m.test(hostOut), 60000);
  await until('/health', healthy, 60000);
  await sleep(SETTLE_MS);
  measure('started `--minimized`, no window', app.child.pid);

  const second = launch([], 'second');
  await second.exited;
  await until('the window', () => visibleWindows().length >= 1, 30000);
  await sleep(SETTLE_MS);
  measure('window shown (Overview)', app.child.pid);

  execFileSync('wmctrl', ['-c', 'Kiro Gateway']);
  await until('the window hidden', () => visibleWindows().length === 0, 30000);
  await sleep(SETTLE_MS);
  measure('window closed to the tray', app.child.pid);
} finally {
  app.child.kill('SIGTERM');
  await app.exited;
  host.kill();
  wm.kill();
}

console.log(`\n| state | PSS, MiB (app + WebKit processes) | RSS, MiB (sum) | PSS by process, MiB |`);
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
