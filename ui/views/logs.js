// Logs: request rows and log lines, live; level filter, search (also by request id: click
// an id to show only that request's row and lines), pause, clear; debug dumps (mode, viewer,
// replay, bundle) and the upstream drift banner (see dumps.js).

import { esc, icon, ICONS, copyButton, wireCopyButtons } from '../lib/dom.js';
import { formatCredits } from '../lib/format.js';
import { modeSelect, driftBanner, wire as wireDumps } from './dumps.js';

export const subtitle = 'Live requests and gateway logs — secrets are redacted';

const LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'];
const MAX_ROWS = 2000;

let root = null;
let ctx = null;
let controller = null;
let paused = false;
let pending = [];
let logs = [];
let requests = [];
let tab = 'requests';
let level = 'INFO';
let query = '';
let lastSeq = 0;
let dumpIds = new Set();
let diagnosticsTimer = null;
let mounts = 0;

function time(iso) {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function ms(v) {
  if (v == null) return '—';
  if (v === 0) return '<1 ms';
  return v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`;
}

function statusClass(code) {
  if (code >= 500) return 'st-5xx';
  if (code >= 400) return 'st-4xx';
  return 'st-2xx';
}

function matches(text) {
  return !query || text.toLowerCase().includes(query);
}

/** A request id (`x-request-id`) that filters the view to its request when clicked. */
function ridButton(id, cls) {
  if (!id) return '';
  return `<button type="button" class="${cls} mono" data-rid="${esc(id)}" title="Request id — click to show only this request">${esc(id)}</button>`;
}

function setQuery(text) {
  root.querySelector('#log-search').value = text;
  query = text.trim().toLowerCase();
  render();
}

function renderRequests() {
  const body = root.querySelector('#req-body');
  const rows = requests.filter((r) => matches(`${r.method} ${r.route} ${r.model || ''} ${r.status} ${r.error || ''} ${r.request_id || ''}`));
  root.querySelector('#req-count').textContent = requests.length;
  body.innerHTML = rows.length ? rows.slice().reverse().map((r) => `
    <tr class="${r.status >= 400 ? 'row-error' : ''}">
      <td class="mono muted">${time(r.time)}</td>
      <td class="req"><span class="method">${esc(r.method)}</span> <span class="mono">${esc(r.route)}</span>${r.stream ? ' <span class="tag">stream</span>' : ''}${dumpIds.has(r.request_id) ? ` <button type="button" class="btn small dump-btn" data-dump-open="${esc(r.request_id)}" title="Open this request's debug dump">Dump</button>` : ''}${ridButton(r.request_id, 'req-id')}</td>
      <td class="mono">${esc(r.model || '—')}</td>
      <td><span class="status-code ${statusClass(r.status)}">${r.status}</span></td>
      <td class="num">${ms(r.latency_ms)}</td>
      <td class="num">${ms(r.ttft_ms)}</td>
      <td class="num">${r.input_tokens ?? '—'} / ${r.output_tokens ?? '—'}</td>
      <td class="num">${r.credits == null ? '—' : formatCredits(r.credits)}</td>
      <td class="err-cell" title="${esc(r.error || '')}">${esc(r.error || '')}</td>
    </tr>`).join('') : `<tr><td colspan="9" class="empty">${requests.length ? 'No request matches the search.' : 'No requests yet. Point a tool at the gateway or try the Chat tab.'}</td></tr>`;
}

function renderLogs() {
  const list = root.querySelector('#log-list');
  const max = LEVELS.indexOf(level);
  const rows = logs.filter((l) => LEVELS.indexOf(l.level) <= max && matches(`${l.target} ${l.message} ${l.request_id || ''}`));
  root.querySelector('#log-count').textContent = logs.length;
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.innerHTML = rows.length ? rows.map((l) => `
    <div class="log-line lv-${l.level.toLowerCase()}">
      <span class="log-time">${time(l.time)}</span>
      <span class="log-level">${l.level}</span>
      <span class="log-target">${esc(l.target.replace(/^kiro_gateway::/, ''))}</span>
      <span class="log-msg">${ridButton(l.request_id, 'log-rid')}${esc(l.message)}</span>
    </div>`).join('') : `<div class="empty">${logs.length ? 'No line matches the filter.' : 'No log lines yet.'}</div>`;
  if (stick || !paused) list.scrollTop = list.scrollHeight;
}

function render() {
  if (!root) return;
  root.querySelectorAll('[data-tab]').forEach((b) => b.classList.toggle('active', b.dataset.tab === tab));
  root.querySelector('#pane-requests').hidden = tab !== 'requests';
  root.querySelector('#pane-logs').hidden = tab !== 'logs';
  root.querySelector('#level-filter').disabled = tab !== 'logs';
  root.querySelector('#req-count').textContent = requests.length;
  root.querySelector('#log-count').textContent = logs.length;
  if (tab === 'requests') renderRequests();
  else renderLogs();
}

function apply(event) {
  if (event.kind === 'log') {
    if (event.seq <= lastSeq && logs.some((l) => l.seq === event.seq)) return;
    logs.push(event);
    if (logs.length > MAX_ROWS) logs.splice(0, logs.length - MAX_ROWS);
  } else if (event.kind === 'request') {
    if (requests.some((r) => r.seq === event.seq)) return;
    requests.push(event);
    refreshDiagnosticsSoon();
    if (requests.length > MAX_ROWS) requests.splice(0, requests.length - MAX_ROWS);
  } else if (event.kind === 'cleared') {
    logs = [];
    requests = [];
  }
}

let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

async function connect() {
  controller?.abort();
  controller = new AbortController();
  const mine = controller;
  while (!mine.signal.aborted) {
    try {
      const snap = await ctx.api.logs();
      logs = snap.logs || [];
      requests = snap.requests || [];
      lastSeq = Math.max(0, ...logs.map((l) => l.seq), ...requests.map((r) => r.seq));
      renderFolder(snap);
      refreshDiagnostics();
      if (snap.level && !root.dataset.levelSet) {
        const base = String(snap.level).split(',')[0].toUpperCase();
        if (LEVELS.includes(base)) {
          level = base;
          root.querySelector('#level-filter').value = base;
        }
      }
      render();
      await ctx.api.streamLogs((event) => {
        if (paused) pending.push(event);
        else {
          apply(event);
          queueRender();
        }
      }, mine.signal);
    } catch (err) {
      if (mine.signal.aborted) return;
    }
    // The stream ended (server restart) or failed: try again shortly.
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Which requests have a dump, the dump mode, and the drift banner. */
async function refreshDiagnostics() {
  if (!root) return;
  const mine = mounts;
  try {
    const [dumps, drift] = await Promise.all([ctx.api.dumps(), ctx.api.drift()]);
    // An answer for an earlier visit of this view is not shown in this one.
    if (!root || mine !== mounts) return;
    dumpIds = new Set((dumps.dumps || []).map((d) => d.id));
    const select = root.querySelector('#dump-mode');
    select.value = dumps.mode || 'off';
    select.disabled = !dumps.dir;
    select.title = dumps.dir ? `Debug dumps are written to ${dumps.dir}` : 'Debug dumps have no folder (debug_dump_dir)';
    root.querySelector('#drift-host').innerHTML = driftBanner(drift);
    if (tab === 'requests') renderRequests();
  } catch {
    /* the next request event tries again */
  }
}

function refreshDiagnosticsSoon() {
  clearTimeout(diagnosticsTimer);
  diagnosticsTimer = setTimeout(refreshDiagnostics, 300);
}

function renderFolder(snap) {
  const el = root.querySelector('#log-folder');
  if (ctx.isDesktop && snap.log_dir) {
    el.innerHTML = `<button class="btn" type="button" id="open-folder">${icon(ICONS.folder)}<span>Open log folder</span></button>`;
    el.querySelector('#open-folder').addEventListener('click', () => ctx.api.openLogFolder());
  } else if (snap.log_dir) {
    el.innerHTML = `<span class="muted small">Log folder</span> <code class="small">${esc(snap.log_dir)}</code>${copyButton(snap.log_dir, 'Log folder path')}`;
  } else {
    el.innerHTML = `<span class="muted small">${icon(ICONS.folder, 'icon inline')} Headless: log files are not written; lines go to the terminal (stderr).</span>`;
  }
}

export function mount(el, context) {
  root = el;
  ctx = context;
  mounts += 1;
  paused = false;
  pending = [];
  el.innerHTML = `
    <div id="drift-host"></div>
    <div class="toolbar">
      <div class="seg" role="tablist">
        <button type="button" class="seg-btn" data-tab="requests">Requests <span class="count" id="req-count">0</span></button>
        <button type="button" class="seg-btn" data-tab="logs">Log lines <span class="count" id="log-count">0</span></button>
      </div>
      <select class="input select" id="level-filter" title="Show this level and more severe">
        ${LEVELS.map((l) => `<option value="${l}">${l[0] + l.slice(1).toLowerCase()}</option>`).join('')}
      </select>
      <input class="input search" id="log-search" type="search" placeholder="Search or request id" spellcheck="false">
      ${modeSelect()}
      <span class="spacer"></span>
      <span class="live" id="live-badge"><span class="dot"></span><span>Live</span></span>
      <button class="btn" type="button" id="pause-btn">${icon(ICONS.pause)}<span>Pause</span></button>
      <button class="btn" type="button" id="clear-btn">${icon(ICONS.trash)}<span>Clear</span></button>
    </div>
    <div id="dump-host"></div>
    <div class="card flush" id="pane-requests">
      <div class="table-wrap">
        <table class="table">
          <thead><tr><th>Time</th><th>Request</th><th>Model</th><th>Status</th><th class="num">Latency</th><th class="num">TTFT</th><th class="num">Tokens in / out</th><th class="num">Credits</th><th>Error</th></tr></thead>
          <tbody id="req-body"></tbody>
        </table>
      </div>
    </div>
    <div class="card flush" id="pane-logs" hidden><div class="log-list" id="log-list"></div></div>
    <div class="foot-row" id="log-folder"></div>`;
  wireCopyButtons(el);
  wireDumps(el, ctx, (id) => {
    if (id) setQuery(id);
    refreshDiagnosticsSoon();
  });
  el.querySelector('#level-filter').value = level;
  el.addEventListener('click', (e) => {
    const t = e.target.closest('[data-tab]');
    if (t) {
      tab = t.dataset.tab;
      render();
    }
    const rid = e.target.closest('[data-rid]');
    if (rid) setQuery(rid.dataset.rid);
  });
  el.querySelector('#level-filter').addEventListener('change', (e) => {
    level = e.target.value;
    el.dataset.levelSet = '1';
    render();
  });
  el.querySelector('#log-search').addEventListener('input', (e) => {
    query = e.target.value.trim().toLowerCase();
    render();
  });
  el.querySelector('#pause-btn').addEventListener('click', (e) => {
    paused = !paused;
    const btn = e.currentTarget;
    btn.innerHTML = paused ? `${icon(ICONS.play)}<span>Resume</span>` : `${icon(ICONS.pause)}<span>Pause</span>`;
    btn.classList.toggle('primary', paused);
    el.querySelector('#live-badge').classList.toggle('paused', paused);
    el.querySelector('#live-badge span:last-child').textContent = paused ? `Paused${pending.length ? ` · ${pending.length} new` : ''}` : 'Live';
    if (!paused) {
      pending.forEach(apply);
      pending = [];
      render();
    }
  });
  el.querySelector('#clear-btn').addEventListener('click', async () => {
    try {
      await ctx.api.clearLogs();
      logs = [];
      requests = [];
      render();
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  });
  render();
  connect();
}

export function unmount() {
  clearTimeout(diagnosticsTimer);
  controller?.abort();
  controller = null;
  root = null;
}
