// Settings: server address, API key, logging, network, credentials, credit caps, desktop switches,
// update checks.

import { esc, icon, ICONS, copyText } from '../lib/dom.js';
import { formatDay, formatMoment, httpUrl } from '../lib/format.js';

export const subtitle = 'Saved to settings.toml — the API key stays in the OS keyring';

let root = null;
let ctx = null;
let saved = null; // settings as last loaded / saved
let draft = null;
let meta = {};
let key = '';
let revealed = false;
let update = null; // the update check as last seen (GET /admin/update)
let checking = false; // "Check now" is waiting for the feed
let updateRound = 0; // a newer wait for the update check ends the older one

const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];
// Settings that may have no value (sent as '' to clear them).
const OPTIONAL = ['proxy_url', 'creds_file', 'cli_db_file', 'daily_credit_cap', 'monthly_credit_cap', 'update_feed'];
// How long a changed feed may take to answer (the gateway gives up on it after 20 s).
const UPDATE_WAIT_MS = 25000;
// Update states in which there is a feed to ask.
const CHECKABLE = ['not_checked', 'up_to_date', 'available', 'failed'];

function isLoopback(host) {
  return /^127\./.test(host) || host === '::1' || host === 'localhost';
}

function changed() {
  return Object.keys(draft).filter((k) => JSON.stringify(draft[k] ?? null) !== JSON.stringify(saved[k] ?? null));
}

function row(label, help, control, id) {
  return `<div class="setting" ${id ? `data-field="${id}"` : ''}>
    <div class="setting-text"><div class="setting-label">${label}</div><div class="setting-help muted">${help}</div>
    <div class="field-error" ${id ? `id="err-${id}"` : ''} hidden></div></div>
    <div class="setting-control">${control}</div>
  </div>`;
}

function toggle(id, on, disabled = false) {
  return `<label class="switch${disabled ? ' disabled' : ''}"><input type="checkbox" id="${id}" ${on ? 'checked' : ''} ${disabled ? 'disabled' : ''}><span class="track"><span class="thumb"></span></span></label>`;
}

function renderKey() {
  const el = root.querySelector('#key-value');
  el.textContent = key ? (revealed ? key : `${key.slice(0, 4)}${'•'.repeat(Math.max(8, key.length - 4))}`) : 'none (--no-auth)';
  el.classList.toggle('masked', !revealed);
  root.querySelector('#reveal-btn').innerHTML = revealed ? `${icon(ICONS.eyeOff)}<span>Hide</span>` : `${icon(ICONS.eye)}<span>Reveal</span>`;
}

function renderDirty() {
  const list = changed();
  const bar = root.querySelector('#save-bar');
  bar.hidden = list.length === 0;
  const restart = list.some((f) => (meta.restart_fields || []).includes(f));
  const later = list.some((f) => (meta.next_start_fields || []).includes(f));
  root.querySelector('#save-note').textContent = `${list.length} unsaved change${list.length === 1 ? '' : 's'}${restart ? ' · the gateway restarts on the new address' : ''}${later ? ' · upstream changes apply at the next launch' : ''}`;
  root.querySelector('#lan-warning').hidden = !(draft.allow_lan || !isLoopback(draft.host));
  const hostSelect = root.querySelector('#host');
  hostSelect.querySelector('option[value="0.0.0.0"]').disabled = !draft.allow_lan;
}

function clearErrors() {
  root.querySelectorAll('.field-error').forEach((e) => {
    e.hidden = true;
    e.textContent = '';
  });
  root.querySelectorAll('.setting.invalid').forEach((e) => e.classList.remove('invalid'));
}

function showFieldError(err) {
  const field = err.field || 'port';
  const el = root.querySelector(`#err-${field}`);
  if (!el) {
    ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
    return;
  }
  el.innerHTML = `<strong>${esc(err.message)}</strong> ${esc(err.hint || '')}${err.suggestedPort ? ` <button class="btn small primary" type="button" data-use-port="${err.suggestedPort}">Use port ${err.suggestedPort}</button>` : ''}`;
  el.hidden = false;
  el.closest('.setting').classList.add('invalid');
  el.closest('.setting').scrollIntoView({ block: 'center', behavior: 'smooth' });
}

// The update check's state in words, and a second line: what to do about it.
function updateWords(view, asking) {
  if (asking) return { text: 'Checking the release feed…' };
  switch (view.state) {
    case 'off': return { text: 'Update checks are off.' };
    case 'not_configured': return { text: 'No release feed is set: there is nothing to check.' };
    case 'not_checked': return { text: 'Checking the release feed…' };
    case 'up_to_date': return { text: `Up to date as of ${formatMoment(view.checked_at) || 'the last check'}.` };
    case 'available': {
      const released = formatDay(view.latest?.pub_date);
      return {
        text: `Version ${view.latest?.version} is available${released ? ` (released ${released})` : ''}.`,
        hint: view.installer === 'app' && ctx.isDesktop
          ? 'Install it from the Overview (Install and restart) or the tray.'
          : 'Download it, then install it with your package manager or run the installer.',
      };
    }
    case 'failed': return { text: `Check failed: ${view.error?.message || 'no answer'}`, hint: view.error?.hint };
    default: return { text: '' };
  }
}

// A link the desktop shell opens in the browser (its opener plugin takes `_blank` links).
function downloadLink(href) {
  const link = document.createElement('a');
  link.className = 'btn primary';
  link.id = 'update-download';
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  link.href = href;
  link.innerHTML = `${icon(ICONS.external)}<span>Download</span>`;
  return link;
}

function renderUpdate() {
  const state = root?.querySelector('#update-state');
  if (!state || !update) return;
  const words = updateWords(update, checking);
  root.querySelector('#update-version').textContent = `Kiro Gateway ${update.current_version}`;
  state.textContent = words.text;
  state.dataset.update = checking ? 'not_checked' : update.state;
  const hint = root.querySelector('#update-hint');
  hint.textContent = words.hint || '';
  hint.hidden = !words.hint;
  const href = update.state === 'available' ? httpUrl(update.latest?.download_url) : null;
  root.querySelector('#update-download-slot').replaceChildren(...(href ? [downloadLink(href)] : []));
  root.querySelector('#update-check').disabled = checking || !CHECKABLE.includes(update.state);
}

// Show the update check, asking again while the gateway is still checking a changed feed.
async function followUpdate() {
  const round = ++updateRound;
  const until = Date.now() + UPDATE_WAIT_MS;
  for (;;) {
    let view;
    try {
      view = await ctx.api.update();
    } catch {
      return; // an older gateway: the card keeps its last words
    }
    if (round !== updateRound || !root) return;
    update = view;
    renderUpdate();
    if (view.state !== 'not_checked' || Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}

async function checkNow() {
  updateRound += 1; // a wait still running would overwrite the answer
  checking = true;
  renderUpdate();
  try {
    const view = await ctx.api.checkUpdate();
    update = view;
  } catch (err) {
    ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
  } finally {
    checking = false;
    renderUpdate();
  }
}

async function save() {
  clearErrors();
  const patch = {};
  for (const f of changed()) patch[f] = draft[f] ?? '';
  const btn = root.querySelector('#save-btn');
  btn.disabled = true;
  try {
    const answer = await ctx.api.saveSettings(patch);
    saved = { ...answer.settings };
    draft = { ...answer.settings };
    fill();
    if (answer.applied?.includes('update_feed')) followUpdate();
    if (answer.restarting) {
      ctx.toast(`Restarting on ${answer.endpoints.base}`, 'success');
      ctx.followTo(answer.endpoints, 'settings');
    } else {
      ctx.toast(answer.next_start?.length ? 'Saved — upstream changes apply at the next launch' : 'Settings saved', 'success');
    }
  } catch (err) {
    showFieldError(err);
  } finally {
    btn.disabled = false;
  }
}

// Settings a start option (flag, environment, config.toml) overrides in this run.
function showShadowed(fields) {
  for (const field of fields) {
    const help = root.querySelector(`[data-field="${field}"] .setting-help`);
    if (help) help.insertAdjacentHTML('beforeend', '<div class="tone-warn small shadowed-note">Set at start by a command-line flag, the environment or config.toml: that value is in force, not the saved one.</div>');
  }
}

function fill() {
  const v = (id) => root.querySelector(`#${id}`);
  v('port').value = draft.port;
  const host = v('host');
  if (![...host.options].some((o) => o.value === draft.host)) {
    host.insertAdjacentHTML('beforeend', `<option value="${esc(draft.host)}">${esc(draft.host)}</option>`);
  }
  host.value = draft.host;
  v('allow_lan').checked = Boolean(draft.allow_lan);
  v('log_level').value = LEVELS.includes(draft.log_level) ? draft.log_level : 'info';
  v('proxy_url').value = draft.proxy_url || '';
  v('creds_file').value = draft.creds_file || '';
  v('cli_db_file').value = draft.cli_db_file || '';
  v('daily_credit_cap').value = draft.daily_credit_cap ?? '';
  v('monthly_credit_cap').value = draft.monthly_credit_cap ?? '';
  v('pause_at_cap').checked = Boolean(draft.pause_at_cap);
  v('launch_at_login').checked = Boolean(draft.launch_at_login);
  v('close_to_tray').checked = Boolean(draft.close_to_tray);
  v('desktop_notifications').checked = Boolean(draft.desktop_notifications);
  v('check_updates').checked = Boolean(draft.check_updates);
  v('update_feed').value = draft.update_feed || '';
  renderDirty();
}

export async function mount(el, context) {
  root = el;
  ctx = context;
  revealed = false;
  update = null;
  checking = false;
  const desktop = ctx.isDesktop;
  const desktopNote = desktop ? '' : '<span class="tag">desktop app only</span>';
  el.innerHTML = `
    <div class="settings">
      <section class="card">
        <h2 class="card-title">Server</h2>
        ${row('Port', 'Where tools connect. Changing it restarts the gateway; this page follows.', '<input class="input narrow mono" id="port" inputmode="numeric" autocomplete="off">', 'port')}
        ${row('Bind address', '127.0.0.1 keeps the gateway on this computer. 0.0.0.0 listens on every network interface.', `<select class="input select" id="host"><option value="127.0.0.1">127.0.0.1 — this computer</option><option value="0.0.0.0">0.0.0.0 — all interfaces</option></select>`, 'host')}
        ${row('Allow LAN access', 'Lets other devices on your network use your Kiro subscription through this gateway (they need the API key).', toggle('allow_lan', false), 'allow_lan')}
        <div class="banner warn inline" id="lan-warning" hidden>${icon(ICONS.warn)}<div><strong>Reachable from your network.</strong><p>Anyone on the network who has the API key can spend your Kiro quota. Keep the key private; regenerate it if it leaks.</p></div></div>
      </section>
      <section class="card">
        <h2 class="card-title">API key</h2>
        ${row('Key', 'Tools send it as <code>Authorization: Bearer</code> or <code>x-api-key</code>.', `<div class="key-box"><code class="mono masked" id="key-value">••••••••</code></div>`, 'key')}
        <div class="button-row">
          <button class="btn" type="button" id="reveal-btn"></button>
          <button class="btn" type="button" id="copy-key">${icon(ICONS.copy)}<span>Copy</span></button>
          <span class="spacer"></span>
          <button class="btn danger-outline" type="button" id="regen-btn">${icon(ICONS.refresh)}<span>Regenerate…</span></button>
        </div>
        <div class="confirm" id="regen-confirm" hidden>
          <span>Every tool using the current key will stop working until you paste the new one.</span>
          <button class="btn" type="button" id="regen-cancel">Cancel</button>
          <button class="btn danger" type="button" id="regen-go">Regenerate key</button>
        </div>
        <p class="muted small" id="key-source"></p>
        <div class="banner warn inline" id="no-keyring" hidden>${icon(ICONS.warn)}<div><strong>No OS keyring: this key lasts until Kiro Gateway quits.</strong><p>Tools you set up now will need a new key after a restart. Unlock or install a keyring (GNOME Keyring, KWallet), or keep the key in a file only you can read.</p><div class="button-row"><button class="btn" type="button" id="key-to-file">Save the key to a file (0600)</button></div></div></div>
      </section>
      <section class="card">
        <h2 class="card-title">Logging &amp; network</h2>
        ${row('Log level', 'How much the gateway logs. Applies immediately.', `<select class="input select" id="log_level">${LEVELS.map((l) => `<option value="${l}">${l[0].toUpperCase() + l.slice(1)}</option>`).join('')}</select>`, 'log_level')}
        ${row('Upstream proxy', 'HTTP or SOCKS proxy for calls to Kiro, e.g. <code>http://127.0.0.1:3128</code>. Leave empty for a direct connection.', '<input class="input mono" id="proxy_url" placeholder="none" spellcheck="false">', 'proxy_url')}
      </section>
      <section class="card">
        <h2 class="card-title">Kiro credentials</h2>
        ${row('Token file', 'Override discovery with a Kiro IDE token file (<code>kiro-auth-token.json</code>).', '<input class="input mono" id="creds_file" placeholder="auto-detect" spellcheck="false">', 'creds_file')}
        ${row('kiro-cli database', 'Or a kiro-cli / Amazon Q SQLite database.', '<input class="input mono" id="cli_db_file" placeholder="auto-detect" spellcheck="false">', 'cli_db_file')}
      </section>
      <section class="card">
        <h2 class="card-title">Credit caps</h2>
        ${row('Daily cap', 'Kiro credits this gateway may spend per day (local time). The Overview and the tray show it from half used on. Leave empty for no cap.', '<input class="input narrow mono" id="daily_credit_cap" inputmode="decimal" placeholder="none" autocomplete="off">', 'daily_credit_cap')}
        ${row('Monthly cap', 'The same per calendar month.', '<input class="input narrow mono" id="monthly_credit_cap" inputmode="decimal" placeholder="none" autocomplete="off">', 'monthly_credit_cap')}
        ${row('Pause at cap', 'Refuse requests (429, not retried by clients) once a cap is reached, until the day or month ends, you raise the cap or turn this off. Off: caps only warn.', toggle('pause_at_cap', false), 'pause_at_cap')}
      </section>
      <section class="card">
        <h2 class="card-title">Desktop ${desktopNote}</h2>
        ${row('Launch at login', desktop ? 'Start hidden in the tray when you log in.' : 'Available in the Kiro Gateway desktop app.', toggle('launch_at_login', false, !desktop), 'launch_at_login')}
        ${row('Close to tray', desktop ? 'Closing the window keeps the gateway running in the tray.' : 'Available in the Kiro Gateway desktop app.', toggle('close_to_tray', false, !desktop), 'close_to_tray')}
        ${row('Notifications', desktop ? 'Tell me when a credit cap is half used, 80 % used or reached, and when Kiro holds requests back (with the time it ends).' : 'Available in the Kiro Gateway desktop app.', toggle('desktop_notifications', false, !desktop), 'desktop_notifications')}
        <div class="banner warn inline" id="no-tray" hidden>${icon(ICONS.warn)}<div><strong>No system tray found.</strong><p>Closing the window quits Kiro Gateway. On GNOME, install the AppIndicator extension; on Linux the tray also needs <code>libayatana-appindicator3-1</code>.</p></div></div>
      </section>
      <section class="card" id="updates-card">
        <h2 class="card-title">Updates</h2>
        ${row('Check for updates', 'Ask the release feed for a newer Kiro Gateway at start and once a day. Nothing is downloaded or installed until you ask.', toggle('check_updates', false), 'check_updates')}
        ${row('Release feed', 'The release manifest (<code>latest.json</code>) to ask; trusted only when its signature verifies. Leave empty for this build\'s own feed (a build from source has none).', '<input class="input mono" id="update_feed" placeholder="this build\'s feed, if any" spellcheck="false" autocomplete="off">', 'update_feed')}
        ${row('<span id="update-version">Kiro Gateway</span>', '<span class="update-state" id="update-state"></span><span class="update-hint" id="update-hint" hidden></span>', `<span id="update-download-slot"></span><button class="btn" type="button" id="update-check" disabled>${icon(ICONS.refresh)}<span>Check now</span></button>`, 'update_state')}
      </section>
      <p class="muted small" id="settings-path"></p>
    </div>
    <div class="save-bar" id="save-bar" hidden>
      <span id="save-note"></span>
      <span class="spacer"></span>
      <button class="btn" type="button" id="discard-btn">Discard</button>
      <button class="btn primary" type="button" id="save-btn">Save changes</button>
    </div>`;

  const onInput = (e) => {
    const t = e.target;
    if (!t.id || !draft || !(t.id in draft || OPTIONAL.includes(t.id))) return;
    let value = t.type === 'checkbox' ? t.checked : t.value;
    if (t.id === 'port') value = /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    if (/_credit_cap$/.test(t.id) && /^\d+(\.\d+)?$/.test(value.trim())) value = Number(value.trim());
    if (OPTIONAL.includes(t.id) && value.trim?.() === '') value = null;
    draft[t.id] = value;
    if (t.id === 'allow_lan' && !value && !isLoopback(draft.host)) {
      draft.host = '127.0.0.1';
      root.querySelector('#host').value = '127.0.0.1';
    }
    if (t.id === 'host' && !isLoopback(value) && !draft.allow_lan) {
      draft.allow_lan = true;
      root.querySelector('#allow_lan').checked = true;
    }
    const err = root.querySelector(`#err-${t.id}`);
    if (err) {
      err.hidden = true;
      err.closest('.setting').classList.remove('invalid');
    }
    renderDirty();
  };
  el.addEventListener('input', onInput);
  el.addEventListener('change', onInput);
  el.addEventListener('click', async (e) => {
    const use = e.target.closest('[data-use-port]');
    if (use) {
      draft.port = Number(use.dataset.usePort);
      root.querySelector('#port').value = draft.port;
      renderDirty();
      save();
    }
  });
  el.querySelector('#save-btn').addEventListener('click', save);
  el.querySelector('#update-check').addEventListener('click', checkNow);
  el.querySelector('#discard-btn').addEventListener('click', () => {
    draft = { ...saved };
    clearErrors();
    fill();
  });
  el.querySelector('#reveal-btn').addEventListener('click', () => {
    revealed = !revealed;
    renderKey();
  });
  el.querySelector('#copy-key').addEventListener('click', () => key && copyText(key, 'API key'));
  el.querySelector('#regen-btn').addEventListener('click', () => {
    el.querySelector('#regen-confirm').hidden = false;
  });
  el.querySelector('#regen-cancel').addEventListener('click', () => {
    el.querySelector('#regen-confirm').hidden = true;
  });
  el.querySelector('#key-to-file').addEventListener('click', async () => {
    try {
      const answer = await ctx.api.saveKeyToFile();
      el.querySelector('#key-source').textContent = `Source: ${answer.source}`;
      showKeyringNote(answer.source);
      ctx.toast('The key is kept in a private file now', 'success');
    } catch (err) {
      ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
    }
  });
  el.querySelector('#regen-go').addEventListener('click', async () => {
    try {
      const answer = await ctx.api.regenerateKey();
      key = answer.key;
      revealed = true;
      renderKey();
      el.querySelector('#key-source').textContent = `Stored in: ${answer.source}.${answer.message && /still wins/.test(answer.message) ? ' The key set in your flags / environment / config.toml still wins at the next start.' : ''}`;
      showKeyringNote(answer.source);
      el.querySelector('#regen-confirm').hidden = true;
      ctx.toast('New API key generated — update your tools', 'success');
    } catch (err) {
      ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
    }
  });

  try {
    const [answer, keyAnswer] = await Promise.all([ctx.api.getSettings(), ctx.api.revealKey().catch(() => null)]);
    meta = answer;
    saved = { ...Object.fromEntries(OPTIONAL.map((f) => [f, null])), ...answer.settings };
    draft = { ...saved };
    key = keyAnswer?.key || '';
    el.querySelector('#key-source').textContent = keyAnswer?.source ? `Source: ${keyAnswer.source}` : '';
    showKeyringNote(keyAnswer?.source);
    el.querySelector('#settings-path').innerHTML = answer.path ? `Settings file: <code>${esc(answer.path)}</code>` : 'Settings are kept in memory only (no config folder).';
    fill();
    showShadowed(answer.shadowed || []);
    renderKey();
    el.querySelector('#no-tray').hidden = !(desktop && ctx.currentStatus()?.tray === false);
    followUpdate();
  } catch (err) {
    el.querySelector('.settings').innerHTML = `<div class="banner error">${icon(ICONS.warn)}<div><strong>${esc(err.message)}</strong><p>${esc(err.hint || '')}</p></div></div>`;
  }
}

/** The "no keyring" note, for a key that no store keeps. */
function showKeyringNote(source) {
  const note = root?.querySelector('#no-keyring');
  if (note) note.hidden = !String(source || '').startsWith('this session only');
}

export function onKey(event) {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's' && root && !root.querySelector('#save-bar').hidden) {
    event.preventDefault();
    save();
  }
}

export function unmount() {
  root = null;
}
