// Desktop smoke test: the real Tauri app under Xvfb, a private D-Bus session with an unlocked
// gnome-keyring, and the fake Kiro upstream. Run by `scripts/desktop-smoke.sh`, which sets:
//   DESKTOP_APP   the built kiro-gateway-desktop binary
//   KIRO_GATEWAY_PORT, KIRO_CREDS_FILE, KIRO_API_URL, ... (from the fake)
//   HOME / XDG_CONFIG_HOME / XDG_DATA_HOME   a throwaway home
//   SHOT_DIR      where the window screenshots go
//
// The window is driven through WebDriver (tauri-driver + WebKitWebDriver) with plain W3C
// WebDriver calls; the tray through its D-Bus menu (com.canonical.dbusmenu), the protocol a
// desktop's tray host uses to show and click it.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  APP,
  PORT,
  HOME,
  CONFIG,
  BASE,
  AUTOSTART,
  sleep,
  until,
  healthy,
  portIsFree,
  alive,
  appPids,
  visibleWindows,
  clipboard,
  launch,
  busctl,
  findTrayMenu,
  trayItems,
  trayClick,
  labels,
  startDriver,
  endSession,
  cleanUp,
  s,
  find,
  click,
  run,
  pillState,
  screenshot,
  startNotificationHost,
  launchApp,
  endApp,
  showView,
} from './harness.mjs';

after(cleanUp);

// Shared between the steps (they run in order).
let appPid = 0;
let tray = null;
let apiKey = '';

test('the app starts in a real window, the gateway answers and the tray menu exists and copies', async () => {
  await startDriver();
  await until('the status pill to say running', async () => (await pillState()) === 'running', 60000);
  assert.ok(await healthy(), '/health answers');
  assert.equal(await run(`return document.documentElement.dataset.build;`), 'desktop', 'the UI runs on the Tauri transport');
  assert.ok(visibleWindows().length >= 1, 'a visible X window titled "Kiro Gateway"');

  const pids = appPids();
  assert.equal(pids.length, 1, `one app process (${pids})`);
  appPid = pids[0];
  tray = await until('the tray menu on D-Bus', () => findTrayMenu(appPid), 15000);
  const items = await until('the status line to say running', () => {
    const l = labels(tray);
    return l[0].startsWith(`Running on 127.0.0.1:${PORT} · 0 streams`) ? l : null;
  });
  assert.deepEqual(items.slice(1), [
    'Stop gateway',
    'Copy OpenAI endpoint',
    'Copy Anthropic endpoint',
    'Copy API key',
    'Open Kiro Gateway',
    'Connect a tool…',
    'Kiro login',
    'Launch at login',
    'No release feed to check',
    'Quit',
  ]);
  // The "Kiro login" submenu lists the login in use, ticked (here the fake's token file);
  // its plan is added to the label once the account's usage is known, which may or may not
  // have happened by the time the submenu is first filled.
  const loginMenu = trayItems(tray).find((i) => i.label === 'Kiro login');
  let loginLabels = [];
  await until('the logins in the tray', () => {
    const reply = busctl('call', tray.name, tray.path, 'com.canonical.dbusmenu', 'GetLayout', 'iias', String(loginMenu.id), '-1', '0');
    const children = reply.data[1][2].map(({ data: [, props] }) => ({ label: props.label?.data ?? '', checked: props['toggle-state']?.data === 1 }));
    loginLabels = children.map((c) => `${c.checked ? '[x] ' : ''}${c.label}`);
    return children.some((c) => /^Token file · Google\/GitHub( · .+)?$/.test(c.label) && c.checked) && children.some((c) => /never pooled/.test(c.label));
  }, 15000).catch((err) => {
    throw new Error(`${err.message}; the submenu held ${JSON.stringify(loginLabels)}`);
  });
  const all = trayItems(tray);
  assert.equal(all[0].enabled, false, 'the status line is not clickable');
  const login = all.find((i) => i.label === 'Launch at login');
  assert.equal(login.toggle, 'checkmark');
  assert.equal(login.checked, false);
  // Credits from GetUsageLimits appear in the status line once known (the fake's account).
  await until('credits in the tray status line', () => / · \d+ credits? left$/.test(labels(tray)[0]), 15000);

  apiKey = (await run(`return window.__TAURI__.core.invoke('admin_reveal_key').then(r => r.key);`)) || '';
  assert.match(apiKey, /^kgw_/, 'the UI can read the key through its command');

  // The copy items put the endpoints and the key on the X clipboard.
  for (const [label, expected] of [
    ['Copy OpenAI endpoint', `http://127.0.0.1:${PORT}/v1`],
    ['Copy Anthropic endpoint', `http://127.0.0.1:${PORT}`],
    ['Copy API key', apiKey],
  ]) {
    trayClick(tray, label);
    await until(`${label} on the clipboard`, () => clipboard() === expected, 5000);
  }
  await screenshot('overview');
});

test('Stop and Start in the window and in the tray change the state', async () => {
  await click('#power-btn');
  await until('stopped in the window', async () => (await pillState()) === 'stopped');
  assert.equal(await healthy(), false, 'nothing answers after Stop');
  assert.ok(await portIsFree(), 'Stop frees the port');
  await until('tray says Stopped', () => labels(tray)[0] === 'Stopped' && labels(tray)[1] === 'Start gateway');

  await click('#power-btn');
  await until('running in the window', async () => (await pillState()) === 'running');
  assert.ok(await healthy());

  trayClick(tray, 'Stop gateway');
  await until('the tray Stop reaches the window', async () => (await pillState()) === 'stopped');
  assert.equal(await healthy(), false);
  trayClick(tray, 'Start gateway');
  await until('the tray Start reaches the window', async () => (await pillState()) === 'running');
  assert.ok(await healthy());
});

test('the test chat streams an answer through the gateway with the tool key', async () => {
  await showView('chat');
  await until('models in the picker', async () => (await run(`return document.querySelectorAll('#model-pick option[value]').length;`)) > 0);
  await run(`const i = document.querySelector('#chat-input'); i.value = arguments[0]; i.dispatchEvent(new Event('input', {bubbles: true}));`, 'Say hello from the desktop.');
  await click('#send-btn');
  const done = await until('the answer to finish', async () => run(`
    const m = document.querySelector('.msg.assistant');
    if (!m || m.classList.contains('streaming')) return null;
    return { text: m.querySelector('.msg-body').textContent, error: m.querySelector('.banner.error')?.textContent || null,
             stats: m.querySelector('.msg-stats')?.textContent || '' };`), 30000);
  assert.equal(done.error, null, 'no error in the chat');
  assert.ok(done.text.trim().length > 0, 'an answer arrived');
  assert.match(done.stats, /TTFT \d+ ms/, `time to first token shown (${done.stats})`);
  await screenshot('chat');

  // It went through /v1/chat/completions with the key, like a tool: the request log says so.
  const r = await fetch(`${BASE}/admin/requests`, { headers: { Authorization: `Bearer ${apiKey}` } });
  assert.equal(r.status, 200);
  const { requests } = await r.json();
  const row = requests.find((q) => q.route === '/v1/chat/completions');
  assert.ok(row, `a /v1/chat/completions row (${JSON.stringify(requests.map((q) => q.route))})`);
  assert.equal(row.stream, true);
  assert.equal(row.status, 200);
});

test('launch at login writes and removes the autostart entry', async () => {
  await showView('settings');
  await until('settings loaded', async () => (await run(`return document.querySelector('#launch_at_login') !== null && document.querySelector('#port').value !== '';`)));
  await run(`document.querySelector('#launch_at_login').click();`);
  await click('#save-btn');
  const entry = await until('the autostart entry', () => existsSync(AUTOSTART) && readFileSync(AUTOSTART, 'utf8'));
  const exec = entry.split('\n').find((l) => l.startsWith('Exec='));
  assert.equal(exec, `Exec=${APP} --minimized`);
  assert.match(entry, /^Type=Application$/m);
  await until('the tray item ticked', () => trayItems(tray).find((i) => i.label === 'Launch at login').checked);
  // Xvfb has no panel showing tray icons (no StatusNotifierWatcher): the app must say so.
  assert.equal(await run(`return document.querySelector('#no-tray').hidden;`), false, 'the no-tray note is shown');
  await run(`document.querySelector('#launch_at_login').closest('.card').scrollIntoView({ block: 'end' });`);
  await sleep(300);
  await screenshot('settings');

  trayClick(tray, 'Launch at login');
  await until('the entry removed from the tray', () => !existsSync(AUTOSTART));
  await until('the tray un-tick saved as the setting', async () => {
    const settings = await run(`return window.__TAURI__.core.invoke('admin_get_settings');`);
    return settings.settings.launch_at_login === false;
  });

  for (const view of ['models', 'logs']) {
    await showView(view);
    await sleep(3200); // let the "Settings saved" toast go
    await screenshot(view);
  }
});

test('Quit in the tray stops the gateway, frees the port and leaves no process', async () => {
  trayClick(tray, 'Quit');
  await until('the app to exit', () => !alive(appPid), 15000);
  assert.equal(await healthy(), false);
  assert.ok(await portIsFree(), 'the port is free after Quit');
  assert.deepEqual(appPids(), [], 'no app process left');
  await endSession();
});

test('the API key survives a restart through the keyring and is in no file', async () => {
  const app = launch([], 'restart');
  try {
    await keySurvives(app);
  } finally {
    app.child.kill('SIGTERM');
  }
  const { code } = await app.exited;
  assert.equal(code, 0, 'SIGTERM quits cleanly');
  assert.match(app.log(), /gateway stopped; exiting/);
  assert.ok(await portIsFree());
});

async function keySurvives(app) {
  await until('/health after restart', healthy, 60000);
  const ok = await fetch(`${BASE}/v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } });
  assert.equal(ok.status, 200, 'the key from the first run still works');
  const wrong = await fetch(`${BASE}/v1/models`, { headers: { Authorization: 'Bearer kgw_not_the_key' } });
  assert.equal(wrong.status, 401);

  const hits = [];
  const settingsFiles = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && st.size < 64 * 1024 * 1024) {
        if (name === 'settings.toml') settingsFiles.push(path);
        if (readFileSync(path).includes(apiKey)) hits.push(path);
      }
    }
  };
  walk(HOME);
  assert.ok(settingsFiles.length >= 1, 'the settings file was written');
  assert.doesNotMatch(readFileSync(settingsFiles[0], 'utf8'), /kgw_/);
  assert.deepEqual(hits, [], 'the key is in no file under HOME (only in the encrypted keyring)');
  assert.doesNotMatch(app.log(), /generated a new API key/i, 'the stored key was found, not replaced');
}

test('--minimized starts hidden with the gateway running; a second launch shows it', async () => {
  assert.deepEqual(appPids(), [], 'no instance is running before this step');
  const first = launch(['--minimized'], 'minimized');
  await until('/health while minimized', healthy, 60000);
  await sleep(2000);
  assert.deepEqual(visibleWindows(), [], 'no visible window when started minimized');

  const second = launch([], 'second');
  const { code } = await Promise.race([
    second.exited,
    sleep(15000).then(() => ({ code: 'still running' })),
  ]);
  assert.equal(code, 0, 'the second launch hands over and exits');
  await until('the first instance to show its window', () => visibleWindows().length >= 1, 10000);
  assert.match(first.log(), /launched again; showing the running window/);
  assert.ok(alive(first.pid), 'the first instance keeps running');
  assert.ok(await healthy());

  first.child.kill('SIGTERM');
  await first.exited;
  assert.ok(await portIsFree(), 'the port is free after quitting');
  assert.deepEqual(appPids(), [], 'no app process left');
});

test('without a keyring or a tray the app runs, says so, and keeps the key in a file on request', async () => {
  assert.deepEqual(appPids(), [], 'no instance is running before this step');
  // A D-Bus address nobody listens on: no Secret Service, no tray host, no single-instance name.
  const noBus = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/kiro-gateway-smoke-bus' };
  await startDriver(noBus);
  await until('running without a bus', async () => (await pillState()) === 'running', 60000);

  const key = await run(`return window.__TAURI__.core.invoke('admin_reveal_key').then(r => r.key);`);
  assert.notEqual(key, apiKey, 'the keyring key is out of reach, so a new key was made');
  const models = await fetch(`${BASE}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal(models.status, 200, 'the session key works');

  await showView('settings');
  await until('both notes shown', async () => run(`return !document.querySelector('#no-keyring').hidden && !document.querySelector('#no-tray').hidden;`), 10000);
  await screenshot('settings-no-keyring');
  await click('#key-to-file');
  const keyFile = join(CONFIG, 'kiro-gateway', 'api-key');
  await until('the key file', () => existsSync(keyFile));
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.ok(readFileSync(keyFile, 'utf8').includes(key));
  await until('the note hidden once the key is kept', async () => run(`return document.querySelector('#no-keyring').hidden;`));

  const pid = appPids()[0];
  process.kill(pid, 'SIGTERM');
  await until('the app to exit', () => !alive(pid), 15000);
  await endSession();

  // Still no keyring: the next start reads the key from the file the user chose.
  const again = launch([], 'no-bus', noBus);
  try {
    await until('/health without a bus', healthy, 60000);
    const ok = await fetch(`${BASE}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200, 'the file-kept key survives the restart');
  } finally {
    again.child.kill('SIGTERM');
  }
  await again.exited;
  assert.ok(await portIsFree());
});

test('with a tray host and a window manager, closing the window hides it to the tray', async () => {
  assert.deepEqual(appPids(), [], 'no instance is running before this step');
  const wm = spawn('openbox', ['--sm-disable'], { stdio: 'ignore' });
  const host = spawn('python3', [new URL('./tray_host.py', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  let hostOut = '';
  host.stdout.on('data', (d) => (hostOut += d));
  try {
    await until('the tray host', () => hostOut.includes('ready'), 15000);
    const app = launch([], 'tray-host');
    try {
      await until('/health', healthy, 60000);
      await until('the icon registered with the tray host', () => /^item \S+/m.test(hostOut), 15000);
      await until('the window', () => visibleWindows().length >= 1, 15000);
      const menu = await until('the tray menu', () => findTrayMenu(app.pid), 15000);

      execFileSync('wmctrl', ['-c', 'Kiro Gateway']);
      await until('the window hidden', () => visibleWindows().length === 0, 10000);
      await sleep(1000);
      assert.ok(alive(app.pid), 'closing the window keeps the app in the tray');
      assert.ok(await healthy(), 'and the gateway running');

      trayClick(menu, 'Open Kiro Gateway');
      await until('Open brings the window back', () => visibleWindows().length >= 1, 10000);
      trayClick(menu, 'Quit');
      await app.exited;
    } finally {
      if (alive(app.pid)) app.child.kill('SIGTERM');
    }
    assert.ok(await portIsFree(), 'the port is free after Quit');
    assert.deepEqual(appPids(), [], 'no app process left');
  } finally {
    host.kill();
    wm.kill();
  }
});

test('credit caps are announced as desktop notifications once each, and the switch silences them', async () => {
  assert.deepEqual(appPids(), [], 'no instance is running before this step');
  const host = startNotificationHost();
  const notices = host.notices;
  const key = 'kgw_smoke_notifications_0123456789abcdef';
  // The fake charges 0.0123 credits per answer: one answer is 61 % of this cap, two are 123 %.
  const env = {
    ...process.env,
    KIRO_GATEWAY_API_KEY: key,
    KIRO_GATEWAY_DAILY_CREDIT_CAP: '0.02',
    KIRO_GATEWAY_CREDITS_FILE: join(HOME, 'notifications-credits.json'),
  };
  const ask = () => fetch(`${BASE}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4.5', messages: [{ role: 'user', content: 'hi' }] }),
  });
  try {
    await until('the notification server', host.ready, 15000);
    await launchApp(env);
    assert.deepEqual(notices(), [], 'nothing to announce at start');

    assert.equal((await ask()).status, 200);
    await until('the 50 % notification', () => notices().some((n) => n.summary === 'Daily credit cap 50 % used'), 15000);
    assert.equal((await ask()).status, 200);
    await until('the cap-reached notification', () => notices().some((n) => n.summary === 'Daily credit cap reached'), 15000);
    await sleep(7000); // two more status beats (every 3 s)
    assert.deepEqual(notices().map((n) => n.summary), ['Daily credit cap 50 % used', 'Daily credit cap reached'], 'each said once');
    assert.equal(notices()[0].body, '0.01 of 0.02 credits spent today through Kiro Gateway.');
    assert.match(notices()[1].body, /^0\.02 of 0\.02 credits spent today through Kiro Gateway\. Requests go on/);

    // A restart (Quit and start, or an update's) does not say today's thresholds again.
    await endApp();
    await launchApp(env);
    await sleep(7000); // two status beats
    assert.equal(notices().length, 2, `not said again after a restart: ${JSON.stringify(notices())}`);

    // Settings shows the caps and the switch; turned off, the next threshold stays silent.
    await showView('settings');
    await until('the cap in Settings', async () => run(`return document.querySelector('#daily_credit_cap')?.value;`), 10000);
    assert.equal(await run(`return document.querySelector('#daily_credit_cap').value;`), '0.02');
    assert.equal(await run(`return document.querySelector('#desktop_notifications').checked && !document.querySelector('#desktop_notifications').disabled;`), true);
    await run(`document.querySelector('[data-field="daily_credit_cap"]').closest('section').scrollIntoView({ block: 'start' });`);
    await screenshot('settings-caps');
    await run(`document.querySelector('#desktop_notifications').click();`);
    await click('#save-btn');
    await until('saved', async () => run(`return document.querySelector('#save-bar').hidden;`), 10000);
    const raised = await fetch(`${BASE}/admin/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ daily_credit_cap: 0.07 }),
    });
    assert.equal(raised.status, 200, await raised.text());
    await sleep(3500);
    // 0.0246 → 0.0492 of 0.07: 50 % is reached again, but notifications are off.
    assert.equal((await ask()).status, 200);
    assert.equal((await ask()).status, 200);
    await sleep(7000);
    assert.equal(notices().length, 2, `silenced: ${JSON.stringify(notices())}`);
    // Back on for the next step (the setting is saved in the shared HOME).
    const restored = await fetch(`${BASE}/admin/settings`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ desktop_notifications: true }),
    });
    assert.equal(restored.status, 200, await restored.text());
  } finally {
    await endApp();
    host.kill();
  }
});

test('a newer release on the feed shows in the tray and the window and is announced once', async () => {
  assert.deepEqual(appPids(), [], 'no instance is running before this step');
  assert.ok(process.env.FAKE_RELEASE_FEED && process.env.KIRO_GATEWAY_UPDATE_PUBLIC_KEY, 'the fake serves a signed release feed');
  const host = startNotificationHost();
  const notices = host.notices;
  const env = { ...process.env, KIRO_GATEWAY_UPDATE_FEED: process.env.FAKE_RELEASE_FEED };
  try {
    await until('the notification server', host.ready, 15000);
    await launchApp(env);

    await until('the release notification', () => notices().some((n) => n.summary === 'Kiro Gateway 99.0.0 is available'), 15000);
    const pid = appPids()[0];
    const menu = await until('the tray menu on D-Bus', () => findTrayMenu(pid), 15000);
    const item = await until('the download item in the tray', () => trayItems(menu).find((i) => i.label === 'Download Kiro Gateway 99.0.0…'), 15000);
    assert.equal(item.enabled, true);

    await showView('overview');
    await until('the update banner in the Overview', async () => /Kiro Gateway 99\.0\.0 is available/.test(await run('return document.body.innerText;')), 10000);
    assert.match(await run('return document.body.innerText;'), /Faster streams and a new model list\./);
    await screenshot('overview-update');

    await sleep(7000); // two more status beats (every 3 s)
    const said = notices().filter((n) => /is available/.test(n.summary));
    assert.equal(said.length, 1, `announced once: ${JSON.stringify(said)}`);
    assert.match(said[0].body, /^Faster streams and a new model list\. \(You have \d+\.\d+\.\d+\.\)/);
  } finally {
    await endApp();
    host.kill();
  }
});
