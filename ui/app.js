// The shell: navigation, status polling, key prompt, toasts, shortcuts. Views live in views/.

import { api, ApiError, getKey, setKey, isDesktop } from './api.js';
import { icon, toast, copyText } from './lib/dom.js';
import { uiState } from './lib/status.js';
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
  // Each view opens at its top (the container would keep the last view's offset).
  root.scrollTop = 0;
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
