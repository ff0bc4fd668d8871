// Connect: point a coding tool's own config file at the gateway in one click, after showing
// the exact diff; undo puts the original back. Cursor and Cline get settings to copy.

import { esc, copyButton, wireCopyButtons, icon, ICONS } from '../lib/dom.js';

export const subtitle = 'Point your coding tools at the gateway — see the change, then connect or undo';

let root = null;
let ctx = null;
let model = '';
let data = null;
const open = new Set(); // clients whose diff is shown
let busy = null;

function tokens(n) {
  if (!n) return '';
  return n >= 1000000 ? `${n / 1000000} M` : `${Math.round(n / 1000)} k`;
}

function diffHtml(text) {
  return text.split('\n').map((line) => {
    const cls = line.startsWith('+++') || line.startsWith('---') ? 'd-file'
      : line.startsWith('@@') ? 'd-hunk'
        : line.startsWith('+') ? 'd-add'
          : line.startsWith('-') ? 'd-del' : '';
    return `<span class="${cls}">${esc(line)}</span>`;
  }).join('\n');
}

function found(c) {
  if (c.command) return `<span class="muted small" title="${esc(c.command)}">found <code>${esc(c.command.split(/[\\/]/).pop())}</code> on PATH</span>`;
  if (c.config_dir) return `<span class="muted small">found <code>${esc(c.config_dir)}</code></span>`;
  return '';
}

function card(c) {
  const badges = [
    c.manual ? '<span class="tag muted">Copy by hand</span>'
      : c.installed ? '<span class="tag ok" data-badge="installed">Installed</span>' : '<span class="tag muted" data-badge="not-installed">Not found</span>',
    c.connected ? '<span class="tag ok" data-badge="connected">Connected</span>' : '',
  ].join(' ');
  const changes = (c.preview || []).filter((f) => f.diff);
  let body = '';
  if (c.manual) {
    body = `<div class="copy-field"><code class="wrap">${esc(c.instructions)}</code>${copyButton(c.instructions, `${c.name} settings`)}</div>`;
  } else if (c.error) {
    body = `<p class="small tone-error" data-error="${esc(c.error.code)}">${esc(c.error.message)}</p><p class="muted small">${esc(c.error.hint)}</p>`;
  } else if (open.has(c.id)) {
    body = changes.length
      ? changes.map((f) => `<pre class="code diff" data-file="${esc(f.path)}"><code>${diffHtml(f.diff.trimEnd())}</code></pre>`).join('')
      : '<p class="muted small">Nothing to change: the files already point here with this model.</p>';
  }
  const files = (c.preview || []).map((f) => `<code>${esc(f.path)}</code>`).join(', ');
  const actions = c.manual ? '' : `
    <div class="button-row">
      <button class="btn small" type="button" data-act="preview" ${c.error ? 'disabled' : ''}>${open.has(c.id) ? 'Hide changes' : 'Preview'}</button>
      <button class="btn small primary" type="button" data-act="connect" ${c.error || busy ? 'disabled' : ''}>${c.connected && !changes.length ? 'Connected' : 'Connect'}</button>
      ${c.undo_available ? `<button class="btn small danger-outline" type="button" data-act="undo" ${busy ? 'disabled' : ''}>Undo</button>` : ''}
    </div>`;
  return `
    <section class="card connect-card" data-client="${esc(c.id)}">
      <div class="connect-head">
        <div><h3 class="connect-name">${esc(c.name)}</h3> ${badges}</div>
        ${actions}
      </div>
      ${c.manual ? '' : `<p class="muted small">${files ? `Edits ${files}` : ''} ${found(c)}</p>`}
      ${body}
    </section>`;
}

function render() {
  if (!root || !data) return;
  const picker = root.querySelector('#connect-model');
  if (!picker.options.length) {
    picker.innerHTML = data.models.map((m) => `<option value="${esc(m.id)}">${esc(m.name || m.id)}${m.context_window ? ` · ${tokens(m.context_window)}` : ''}</option>`).join('');
  }
  picker.value = data.model.id;
  root.querySelector('#connect-key').textContent = data.key === 'helper'
    ? 'Claude Code and Codex ask the gateway for the key (no key in their files).'
    : data.key === 'none' ? 'The gateway runs without a key.' : 'The key goes into the files (the gateway key is not in a store the tools can read).';
  root.querySelector('#connect-list').innerHTML = data.clients.map(card).join('');
}

async function load() {
  try {
    data = await ctx.api.connectOverview(model);
    model = data.model.id;
    render();
  } catch (err) {
    root.querySelector('#connect-list').innerHTML = `<div class="empty tone-error">${esc(err.message)}</div>`;
  }
}

async function act(client, what) {
  const c = data.clients.find((x) => x.id === client);
  if (what === 'preview') {
    if (open.has(client)) open.delete(client); else open.add(client);
    render();
    return;
  }
  busy = client;
  render();
  try {
    if (what === 'connect') {
      const done = await ctx.api.connect(client, model);
      ctx.toast(`${c.name} now uses the gateway (${model}). Originals kept in ${done.backup_dir}.`, 'success');
    } else {
      await ctx.api.connectUndo(client);
      ctx.toast(`${c.name}'s files are back as they were.`, 'success');
    }
    open.delete(client);
  } catch (err) {
    ctx.toast(err.message, 'error');
  }
  busy = null;
  await load();
}

export async function mount(el, context) {
  root = el;
  ctx = context;
  el.innerHTML = `
    <div class="toolbar">
      <label class="inline-field"><span class="muted small">Model</span><select class="input select" id="connect-model"></select></label>
      <span class="muted small" id="connect-key"></span>
      <span class="spacer"></span>
      <button class="btn" id="connect-refresh" type="button">${icon(ICONS.refresh)}<span>Refresh</span></button>
    </div>
    <div id="connect-list" class="connect-list"><div class="empty">Looking for your tools…</div></div>`;
  wireCopyButtons(el);
  el.querySelector('#connect-model').addEventListener('change', (e) => {
    model = e.target.value;
    load();
  });
  el.querySelector('#connect-refresh').addEventListener('click', load);
  el.querySelector('#connect-list').addEventListener('click', (event) => {
    const button = event.target.closest('[data-act]');
    const cardEl = event.target.closest('[data-client]');
    if (button && cardEl && !button.disabled) act(cardEl.dataset.client, button.dataset.act);
  });
  await load();
}

export function unmount() {
  root = null;
}
