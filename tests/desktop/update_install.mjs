// The desktop app installs an update: the app installed from this tree's Debian package
// (version UPDATE_FROM) finds UPDATE_TO on the fake's signed release feed, downloads the
// package, checks its signature, installs it with the package manager and restarts into it.
// Not *.test.mjs, so `node --test` does not pick it up by itself: it runs through
// `scripts/desktop-update-test.sh`, which builds both packages, installs the first one
// (DESKTOP_APP is then /usr/bin/kiro-gateway-desktop) and serves the second one on the feed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  APP,
  BASE,
  until,
  alive,
  appPids,
  findTrayMenu,
  trayItems,
  run,
  click,
  attr,
  screenshot,
  showView,
  launchApp,
  endApp,
  endSession,
  cleanUp,
} from './harness.mjs';

const FROM = process.env.UPDATE_FROM;
const TO = process.env.UPDATE_TO;
const PACKAGE = process.env.UPDATE_PACKAGE;
const FEED = process.env.FAKE_RELEASE_FEED;
assert.ok(FROM && TO && PACKAGE && FEED, 'UPDATE_FROM, UPDATE_TO, UPDATE_PACKAGE and FAKE_RELEASE_FEED are set');

after(cleanUp);

const installed = () => execFileSync('dpkg-query', ['-W', '-f=${Version}', PACKAGE], { encoding: 'utf8' });

/** The gateway's own version, asked with the key (without it /health says only "ok"). */
async function gatewayVersion(key) {
  const response = await fetch(`${BASE}/health`, { headers: { Authorization: `Bearer ${key}` } });
  return (await response.json()).version;
}

/** Open the Overview and wait for the banner's install button. */
async function installButtonShown() {
  await showView('overview');
  await until('the Install button in the update banner', async () => (await attr('#ov-update-install', 'type')) === 'button', 30000);
}

test('a package whose signature is by another key is refused, and nothing changes', async () => {
  assert.equal(installed(), FROM, 'the first package is installed');
  // The manifest is signed by the trusted key, so the check offers the release; only the
  // package's own signature is wrong.
  await launchApp({ ...process.env, KIRO_GATEWAY_UPDATE_FEED: FEED.replace(/\/latest\.json$/, '/bad-package/latest.json') });
  try {
    const [pid] = appPids();
    await installButtonShown();
    await click('#ov-update-install');
    await until('the refusal in the banner', async () => (await attr('#ov-update-banner .update-error', 'data-code')) === 'package_signature_invalid', 120000);
    assert.match(await run(`return document.querySelector('#ov-update-banner .update-error').textContent;`), /signature does not verify/);
    assert.equal(await run(`return document.querySelector('#ov-update-install').disabled;`), false, 'the button can be pressed again');
    await screenshot('overview-update-refused');
    assert.equal(installed(), FROM, 'the installed package did not change');
    assert.ok(alive(pid), 'the app kept running');
  } finally {
    await endApp();
  }
});

test('Install and restart installs the signed package and the app restarts into it', async () => {
  await launchApp({ ...process.env, KIRO_GATEWAY_UPDATE_FEED: FEED });
  let restarted = [];
  try {
    const [before] = appPids();
    const key = await run(`return window.__TAURI__.core.invoke('admin_reveal_key').then(r => r.key);`);
    assert.equal(await gatewayVersion(key), FROM);

    const menu = await until('the tray menu on D-Bus', () => findTrayMenu(before), 15000);
    await until('the install item in the tray', () => trayItems(menu).some((i) => i.label === `Install Kiro Gateway ${TO} and restart` && i.enabled), 15000);

    await installButtonShown();
    assert.match(await run(`return document.querySelector('#ov-update-banner').innerText;`), /may ask for your administrator password, then restarts the app/);
    await screenshot('overview-update-install');

    // A streamed answer still open when the install ends (the fake holds each answer 4 s):
    // the old gateway lets it finish before the app restarts.
    let answered = false;
    const open = fetch(`${BASE}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4.5', stream: true, messages: [{ role: 'user', content: 'Say hello.' }] }),
    }).then(async (response) => {
      const answer = { status: response.status, body: await response.text() };
      answered = true;
      return answer;
    });
    await until('the answer to be under way', async () => {
      const metrics = await (await fetch(`${BASE}/health`, { headers: { Authorization: `Bearer ${key}` } })).json();
      return metrics.metrics.active_streams === 1 || metrics.metrics.requests >= 1;
    }, 5000, 50);
    await click('#ov-update-install');
    await until('the install to finish', async () => /Restarting into/.test(await run(`return document.querySelector('#ov-update-install').innerText;`)), 120000, 50);
    assert.equal(answered, false, 'the answer is still open when the install ends (else raise --chat-delay-ms)');

    // The old process goes; the new one serves the new version on the same port.
    await until('the old app to exit', () => !alive(before), 300000, 500);
    const finished = await open;
    assert.equal(finished.status, 200);
    assert.match(finished.body, /data: \[DONE\]/, `the open answer ended normally: ${finished.body.slice(-300)}`);
    await endSession();
    await until(`the gateway of ${TO}`, async () => (await gatewayVersion(key)) === TO, 60000, 500);
    assert.equal(installed(), TO, 'the new package is installed');
    restarted = appPids();
    assert.equal(restarted.length, 1, `one app process after the restart (${restarted})`);
    assert.notEqual(restarted[0], before);
    assert.equal(execFileSync('readlink', [`/proc/${restarted[0]}/exe`], { encoding: 'utf8' }).trim(), APP, 'the restarted app runs the installed binary');

    const update = await (await fetch(`${BASE}/admin/update`, { headers: { Authorization: `Bearer ${key}` } })).json();
    assert.equal(update.current_version, TO);
    await until('the restarted app to check the feed', async () => {
      const view = await (await fetch(`${BASE}/admin/update`, { headers: { Authorization: `Bearer ${key}` } })).json();
      return view.state === 'up_to_date';
    }, 30000);
  } finally {
    for (const pid of restarted) if (alive(pid)) process.kill(pid, 'SIGTERM');
    await endApp();
  }
});
