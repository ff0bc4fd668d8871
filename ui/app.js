// The shell: navigation, status polling, key prompt, toasts, shortcuts. Views live in views/.

import { api, ApiError, getKey, setKey, isDesktop } from './api.js';
import * as overview from './views/overview.js';
import * as models from './views/models.js';
import * as logs from './views/logs.js';
import * as chat from './views/chat.js';
import * as settings from './views/settings.js';
import * as connect from './views/connect.js';

const VIEWS = [
  { id: 'overview', label: 'Overview', module: overview, icon: 'M3 12l9-8 9 8M5 10v10h5v-6h4v6h5V10' },
  { id: 'models', label: 'Models', module: models, icon: 'M12 3l8 4.5v9L12 21l-8-4.5v-9L12 3zM4 7.5l8 4.5 8-4.5M12 12v9' },
  { id: 'logs', label: 'Logs', module: logs, icon: 'M4 6h16M4 12h10M4 18h13' },
  { id: 'chat', label: 'Chat', module: chat, icon: 'M4 5h16v11H9l-5 4V5z' },
  { id: 'settings', label: 'Settings', module: settings, icon: 'M12 8a4 4 0 100 8 4 4 0 000-8zM12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1' },
  { id: 'connect', label: 'Connect', module: connect, icon: 'M9 7V3M15 7V3M6 7h12v4a6 6 0 01-12 0V7zM12 17v4' },
];

const MOD = navigator.platform?.toLowerCase().includes('mac') ? '⌘' : 'Ctrl+';

// ---- helpers shared with views ----

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function icon(path, cls = 'icon') {
  return `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true"><path d="${path}"/></svg>`;
}

export const ICONS = {
  copy: 'M9 9h10v10H9zM5 15V5h10',
  check: 'M5 12.5l4.5 4.5L19 7',
  eye: 'M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zM12 9a3 3 0 100 6 3 3 0 000-6z',
  eyeOff: 'M3 3l18 18M10.6 5.1A10.6 10.6 0 0112 5c6.4 0 10 7 10 7a17 17 0 01-3.2 4.1M6.6 6.6C3.9 8.4 2 12 2 12s3.6 7 10 7a9.7 9.7 0 005.4-1.6M9.9 9.9a3 3 0 004.2 4.2',
  refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  stop: 'M7 7h10v10H7z',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  pause: 'M8 5v14M16 5v14',
  play: 'M7 5l12 7-12 7V5z',
  folder: 'M3 6h6l2 2h10v11H3z',
  warn: 'M12 3l10 18H2L12 3zM12 10v5M12 18v.01',
  external: 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6',
};

let toastSeq = 0;
export function toast(message, kind = 'info') {
  const host = document.getElementById('toasts');
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = message;
  el.dataset.seq = String(++toastSeq);
  host.append(el);
  setTimeout(() => el.classList.add('leaving'), 2600);
  setTimeout(() => el.remove(), 3000);
}

export async function copyText(text, label = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toast(`${label} copied to the clipboard`, 'success');
}

/** `<button data-copy="…">` anywhere inside `root` copies its value. */
export function wireCopyButtons(root) {
  root.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button || !root.contains(button)) return;
    copyText(button.dataset.copy, button.dataset.copyLabel || 'Text');
    button.classList.add('copied');
    setTimeout(() => button.classList.remove('copied'), 1200);
  });
}

export function copyButton(value, label, text = '') {
  return `<button class="btn icon-btn copy-btn${text ? ' with-text' : ''}" type="button" data-copy="${esc(value)}" data-copy-label="${esc(label)}" title="Copy ${esc(label)}">${icon(ICONS.copy)}${icon(ICONS.check, 'icon done')}${text ? `<span>${esc(text)}</span>` : ''}</button>`;
}

export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

// ---- status ----

const statusListeners = new Set();
let lastStatus = null;
let statusTimer = null;
let unreachable = false;

export function onStatus(listener) {
  statusListeners.add(listener);
  if (lastStatus) listener(lastStatus);
  return () => statusListeners.delete(listener);
}

export function currentStatus() {
  return lastStatus;
}

/** The four states the UI shows: stopped / starting / running / error. */
export function uiState(status) {
  if (!status) return { state: 'starting', label: 'Connecting' };
  if (status.unreachable) return { state: 'stopped', label: 'Not answering' };
  if (status.restart?.pending) return { state: 'starting', label: 'Restarting' };
  const g = status.gateway || {};
  if (g.state === 'running') return { state: 'running', label: 'Running' };
  if (g.state === 'starting') return { state: 'starting', label: 'Starting' };
  if (g.state === 'error') return { state: 'error', label: 'Error' };
  return { state: 'stopped', label: 'Stopped' };
}

function renderStatus(status) {
  const { state, label } = uiState(status);
  const pill = document.getElementById('status-pill');
  pill.dataset.state = state;
  const addr = status?.endpoints && state === 'running' ? ` · ${status.endpoints.host === '0.0.0.0' ? 'all interfaces' : status.endpoints.host}:${status.endpoints.port}` : '';
  pill.querySelector('.pill-text').textContent = label + addr;
  const mini = document.getElementById('mini-status');
  mini.dataset.state = state;
  mini.querySelector('.mini-status-text').textContent = state === 'running' ? `Serving on :${status.endpoints.port}` : label;
  if (status?.version) document.getElementById('brand-version').textContent = `v${status.version}`;
  const power = document.getElementById('power-btn');
  power.hidden = false;
  if (isDesktop) {
    power.textContent = state === 'running' ? 'Stop' : 'Start';
    power.className = state === 'running' ? 'btn' : 'btn primary';
  } else {
    power.textContent = 'Restart';
    power.className = 'btn';
    power.disabled = state !== 'running';
  }
}

export async function refreshStatus() {
  try {
    const status = await api.status();
    unreachable = false;
    lastStatus = status;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      askForKey('That key is not accepted any more. Paste the current one.');
      return lastStatus;
    }
    unreachable = true;
    lastStatus = { ...(lastStatus || {}), unreachable: true, error: err };
  }
  renderStatus(lastStatus);
  statusListeners.forEach((listener) => listener(lastStatus));
  return lastStatus;
}

function startPolling() {
  clearInterval(statusTimer);
  statusTimer = setInterval(refreshStatus, unreachable ? 1000 : 2000);
  refreshStatus();
}

// ---- following the gateway to a new address (browser build) ----

/** After a port / bind change: wait for the new address, then reload the UI there. */
export async function followTo(endpoints, view = 'settings') {
  if (isDesktop) {
    setTimeout(refreshStatus, 600);
    return;
  }
  const host = endpoints.host === '0.0.0.0' || endpoints.host === '::' ? location.hostname : endpoints.host;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const base = `${location.protocol}//${hostPart}:${endpoints.port}`;
  if (base === location.origin) {
    // Same address (e.g. LAN access on the same port): wait for the rebind, then reload.
    toast('Restarting the gateway…');
    const until = Date.now() + 10000;
    await new Promise((r) => setTimeout(r, 600));
    while (Date.now() < until) {
      try {
        const status = await api.status();
        if (status.endpoints?.host === endpoints.host && !status.restart?.pending) break;
      } catch {
        /* not back yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    location.reload();
    return;
  }
  toast(`Moving to ${base} …`);
  await new Promise((r) => setTimeout(r, 400));
  await api.waitFor(base);
  // The key travels in the fragment (never sent to a server) because sessionStorage is per origin.
  location.href = `${base}/ui/#${view}&k=${encodeURIComponent(getKey())}`;
}

// ---- key prompt ----

let keyResolve = null;

function askForKey(message) {
  const dialog = document.getElementById('key-dialog');
  const error = document.getElementById('key-error');
  if (message) {
    error.textContent = message;
    error.hidden = false;
  }
  dialog.hidden = false;
  document.getElementById('key-input').focus();
  return new Promise((resolve) => {
    keyResolve = resolve;
  });
}

function wireKeyDialog() {
  const form = document.getElementById('key-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = document.getElementById('key-input');
    const error = document.getElementById('key-error');
    const key = input.value.trim();
    if (!key) return;
    setKey(key);
    try {
      await api.status();
    } catch (err) {
      setKey('');
      error.textContent = err.status === 401 ? 'That key was not accepted.' : err.message;
      error.hidden = false;
      return;
    }
    input.value = '';
    error.hidden = true;
    document.getElementById('key-dialog').hidden = true;
    keyResolve?.();
    keyResolve = null;
  });
}

async function ensureKey() {
  if (isDesktop) return;
  // A key handed over in the fragment after a port change.
  const match = location.hash.match(/[#&]k=([^&]+)/);
  if (match) {
    setKey(decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.hash.replace(/&?k=[^&]+/, ''));
  }
  if (getKey()) {
    try {
      await api.status();
      return;
    } catch (err) {
      if (err.status !== 401) return;
      setKey('');
    }
  }
  // A gateway without auth (--no-auth) answers without a key.
  try {
    await api.status();
    return;
  } catch {
    /* needs a key */
  }
  await askForKey();
}

// ---- navigation ----

let active = null;

function viewFromHash() {
  const id = location.hash.replace(/^#/, '').split('&')[0];
  return VIEWS.find((v) => v.id === id) ? id : 'overview';
}

function renderNav() {
  const nav = document.getElementById('nav');
  nav.innerHTML = VIEWS.map((v, i) => `
    <a class="nav-item" href="#${v.id}" data-view="${v.id}">
      ${icon(v.icon)}<span>${v.label}</span><kbd>${MOD}${i + 1}</kbd>
    </a>`).join('');
}

export function navigate(id) {
  if (location.hash.replace(/^#/, '').split('&')[0] !== id) location.hash = id;
  else show(id);
}

function show(id) {
  const view = VIEWS.find((v) => v.id === id) || VIEWS[0];
  if (active?.id === view.id) return;
  active?.module.unmount?.();
  active = view;
  document.querySelectorAll('.nav-item').forEach((a) => a.classList.toggle('active', a.dataset.view === view.id));
  document.getElementById('view-title').textContent = view.label;
  document.getElementById('view-subtitle').textContent = view.module.subtitle || '';
  const root = document.getElementById('view');
  root.innerHTML = '';
  root.className = `view view-${view.id}`;
  view.module.mount(root, { api, navigate, toast, onStatus, refreshStatus, currentStatus, followTo, isDesktop });
  document.body.dataset.view = view.id;
}

function wireShortcuts() {
  document.addEventListener('keydown', (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && !event.shiftKey && !event.altKey && /^[1-6]$/.test(event.key)) {
      event.preventDefault();
      navigate(VIEWS[Number(event.key) - 1].id);
    } else if (mod && event.key === ',') {
      event.preventDefault();
      navigate('settings');
    } else if (mod && event.shiftKey && event.key.toLowerCase() === 'c' && lastStatus?.endpoints) {
      event.preventDefault();
      copyText(lastStatus.endpoints.openai, 'OpenAI base URL');
    } else {
      active?.module.onKey?.(event);
    }
  });
}

function wirePowerButton() {
  document.getElementById('power-btn').addEventListener('click', async () => {
    try {
      if (isDesktop) {
        if (uiState(lastStatus).state === 'running') await api.stop();
        else await api.start();
      } else {
        await api.restart();
        toast('Restarting the gateway…');
      }
    } catch (err) {
      toast(err.message, 'error');
    }
    setTimeout(refreshStatus, 700);
  });
}

async function boot() {
  document.documentElement.dataset.build = isDesktop ? 'desktop' : 'browser';
  renderNav();
  wireKeyDialog();
  wireShortcuts();
  wirePowerButton();
  await ensureKey();
  api.onSecondLaunch(() => toast('Kiro Gateway is already running — here it is.', 'success'));
  window.addEventListener('hashchange', () => show(viewFromHash()));
  show(viewFromHash());
  startPolling();
  setInterval(() => {
    if (unreachable) refreshStatus();
  }, 1000);
}

boot();
