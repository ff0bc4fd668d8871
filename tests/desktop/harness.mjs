// What the desktop tests share: the environment `scripts/desktop-smoke.sh` sets up, waiting,
// the app's processes, its tray over D-Bus (com.canonical.dbusmenu) and its window over
// WebDriver (tauri-driver + WebKitWebDriver, plain W3C calls).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const APP = process.env.DESKTOP_APP;
export const PORT = Number(process.env.KIRO_GATEWAY_PORT);
export const HOME = process.env.HOME;
export const CONFIG = process.env.XDG_CONFIG_HOME || join(HOME, '.config');
export const SHOT_DIR = process.env.SHOT_DIR;
export const LOG_DIR = process.env.SMOKE_LOG_DIR || HOME;
export const BASE = `http://127.0.0.1:${PORT}`;
export const AUTOSTART = join(CONFIG, 'autostart', 'kiro-gateway.desktop');
export const WD = 'http://127.0.0.1:4444';
export const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

assert.ok(APP && existsSync(APP), `DESKTOP_APP must name the built app (got ${APP})`);
assert.ok(PORT > 0, 'KIRO_GATEWAY_PORT must be set');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, fn, timeoutMs = 20000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export async function healthy() {
  try {
    const r = await fetch(`${BASE}/health`);
    return r.ok;
  } catch {
    return false;
  }
}

export function portIsFree() {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(PORT, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of processes whose command line runs the app binary. */
export function appPids() {
  try {
    return execFileSync('pgrep', ['-f', APP], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** X windows titled "Kiro Gateway" that are mapped (visible). */
export function visibleWindows() {
  try {
    return execFileSync('xdotool', ['search', '--onlyvisible', '--name', '^Kiro Gateway$'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The X clipboard's text (the app serves it while it owns the selection). */
export function clipboard() {
  try {
    return execFileSync('xclip', ['-o', '-selection', 'clipboard'], { encoding: 'utf8', timeout: 3000 });
  } catch {
    return null;
  }
}

// ---- the app, launched directly ----

const launched = [];
export function launch(args = [], name = 'app', env = process.env) {
  const logPath = join(LOG_DIR, `${name}-${launched.length}.log`);
  const out = openSync(logPath, 'a');
  const child = spawn(APP, args, { stdio: ['ignore', out, out], env });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = { child, pid: child.pid, exited, log: () => readFileSync(logPath, 'utf8') };
  launched.push(handle);
  return handle;
}

// ---- the tray, over D-Bus ----

export function busctl(...args) {
  // `--` keeps arguments such as -1 from being read as options.
  return JSON.parse(execFileSync('busctl', ['--user', '--timeout=3', '--json=short', '--', ...args], { encoding: 'utf8' }));
}

/** The app's dbusmenu object: the bus connection of `pid` exporting an ayatana NotificationItem menu. */
export function findTrayMenu(pid) {
  const names = busctl('list').filter((n) => n.pid === pid && n.name.startsWith(':'));
  for (const { name } of names) {
    let paths;
    try {
      paths = execFileSync('busctl', ['--user', '--timeout=3', 'tree', '--list', name], { encoding: 'utf8' }).split('\n');
    } catch {
      continue;
    }
    const menu = paths.find((p) => /^\/org\/ayatana\/NotificationItem\/[^/]+\/Menu$/.test(p.trim()));
    if (menu) return { name, path: menu.trim() };
  }
  return null;
}

/** The tray menu's items in order: {id, label, enabled, toggle, checked}. */
export function trayItems(menu) {
  const reply = busctl('call', menu.name, menu.path, 'com.canonical.dbusmenu', 'GetLayout', 'iias', '0', '-1', '0');
  const [, [, , children]] = reply.data;
  return children.map(({ data: [id, props] }) => ({
    id,
    label: props.label?.data ?? '',
    type: props.type?.data ?? 'standard',
    enabled: props.enabled?.data ?? true,
    toggle: props['toggle-type']?.data ?? '',
    checked: props['toggle-state']?.data === 1,
  }));
}

/** Click a tray item the way a tray host does. */
export function trayClick(menu, label) {
  const item = trayItems(menu).find((i) => i.label === label);
  assert.ok(item, `tray item "${label}" exists`);
  execFileSync('busctl', ['--user', '--timeout=3', '--', 'call', menu.name, menu.path, 'com.canonical.dbusmenu', 'Event', 'isvu', String(item.id), 'clicked', 'i', '0', '0']);
}

export const labels = (menu) => trayItems(menu).filter((i) => i.type !== 'separator').map((i) => i.label);

// ---- the window, over WebDriver ----

let driver = null;
let session = null;

/** Start tauri-driver with `env` and open a WebDriver session on the app (no wait). */
export async function startDriver(env = process.env) {
  driver = spawn('tauri-driver', ['--port', '4444'], { stdio: 'inherit', env });
  await until('tauri-driver', async () => (await fetch(`${WD}/status`)).ok, 15000);
  session = (await wd('POST', '/session', { capabilities: { alwaysMatch: { 'tauri:options': { application: APP } } } })).sessionId;
}

/** End the WebDriver session and tauri-driver (the app may already be gone). */
export async function endSession() {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  session = null;
  driver?.kill('SIGTERM');
  driver = null;
}

/** Kill whatever the steps launched and left running. */
export async function cleanUp() {
  await endSession();
  for (const h of launched) if (alive(h.pid)) h.child.kill('SIGKILL');
}

export async function wd(method, path, body) {
  const response = await fetch(`${WD}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok || json.value?.error) {
    throw new Error(`WebDriver ${method} ${path}: ${json.value?.error} ${json.value?.message}`);
  }
  return json.value;
}

export const s = (path) => `/session/${session}${path}`;
export async function find(css) {
  const ref = await wd('POST', s('/element'), { using: 'css selector', value: css });
  const id = ref?.[ELEMENT] ?? ref?.ELEMENT;
  assert.ok(id, `element ${css} (${JSON.stringify(ref)})`);
  return id;
}
export const click = async (css) => wd('POST', s(`/element/${await find(css)}/click`), {});
export const run = (script, ...args) => wd('POST', s('/execute/sync'), { script, args });
export const attr = (css, name) => run(`const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1]);`, css, name);
export const pillState = () => attr('#status-pill', 'data-state');

export async function screenshot(name) {
  if (!SHOT_DIR) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  const png = await wd('GET', s('/screenshot'));
  writeFileSync(join(SHOT_DIR, `desktop-${name}.png`), Buffer.from(png, 'base64'));
}

/** The stand-in notification service (tests/desktop/notify_host.py) and what it was sent. */
export function startNotificationHost() {
  const process_ = spawn('python3', [new URL('./notify_host.py', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  process_.stdout.on('data', (d) => (out += d));
  return {
    ready: () => out.includes('ready'),
    notices: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)),
    kill: () => process_.kill(),
  };
}

/** Start the app through tauri-driver with `env` and wait until its gateway runs. */
export async function launchApp(env) {
  await startDriver(env);
  await until('running', async () => (await pillState()) === 'running', 60000);
}

/** End the WebDriver session, tauri-driver and every app process. */
export async function endApp() {
  await endSession();
  for (const pid of appPids()) process.kill(pid, 'SIGTERM');
  await until('the app to exit', () => appPids().length === 0, 15000).catch(() => {});
}

export async function showView(id) {
  await run(`location.hash = arguments[0];`, id);
  await until(`view ${id}`, async () => (await run(`return document.body.dataset.view;`)) === id, 5000);
}
