// Models: the same list as GET /v1/models, with copyable ids.

import { esc, copyButton, wireCopyButtons, icon, ICONS } from '../lib/dom.js';

export const subtitle = 'Models your Kiro account offers — use the id in your tool';

let root = null;

function tokens(n) {
  if (!n) return '—';
  if (n >= 1000000) return `${(n / 1000000).toFixed(n % 1000000 ? 1 : 0)}M`;
  return `${Math.round(n / 1000)}K`;
}

function family(id) {
  if (id.includes('opus')) return 'opus';
  if (id.includes('haiku')) return 'haiku';
  if (id.includes('sonnet')) return 'sonnet';
  return 'other';
}

function render(list, filter = '') {
  const q = filter.trim().toLowerCase();
  const rows = list.filter((m) => !q || m.id.toLowerCase().includes(q) || (m.name || '').toLowerCase().includes(q));
  root.querySelector('#model-list').innerHTML = rows.length ? rows.map((m) => `
    <div class="model-row">
      <div class="model-avatar" data-family="${family(m.id)}">${esc((m.name || m.id).replace(/^Claude\s*/i, '').charAt(0).toUpperCase() || 'K')}</div>
      <div class="model-main">
        <div class="model-name">${esc(m.name || m.id)}</div>
        <div class="model-desc muted">${esc(m.description || '')}</div>
      </div>
      <div class="model-meta">
        <span class="meta"><span class="muted">Context</span> ${tokens(m.context_length)}</span>
        <span class="meta"><span class="muted">Max output</span> ${tokens(m.max_output_tokens)}</span>
      </div>
      <div class="copy-field compact"><code class="model-id">${esc(m.id)}</code>${copyButton(m.id, `Model id ${m.id}`)}</div>
    </div>`).join('') : '<div class="empty">No model matches.</div>';
}

export async function mount(el, ctx) {
  root = el;
  el.innerHTML = `
    <div class="toolbar">
      <input class="input search" id="model-filter" type="search" placeholder="Filter models" spellcheck="false">
      <span class="muted small" id="model-source"></span>
      <span class="spacer"></span>
      <button class="btn" id="model-refresh" type="button">${icon(ICONS.refresh)}<span>Refresh</span></button>
    </div>
    <div class="card flush"><div id="model-list" class="model-list"><div class="empty">Loading models…</div></div></div>`;
  wireCopyButtons(el);
  let list = [];
  // The answer can arrive after the view was left (the container then holds another view).
  const left = () => !el.querySelector('#model-list');
  const load = async () => {
    try {
      const answer = await ctx.api.models();
      if (left()) return;
      list = answer.models || [];
      el.querySelector('#model-source').textContent = `${list.length} models · ${answer.source === 'upstream' ? 'live from Kiro' : 'built-in list (Kiro did not answer)'}`;
      render(list, el.querySelector('#model-filter').value);
    } catch (err) {
      if (left()) return;
      el.querySelector('#model-list').innerHTML = `<div class="empty tone-error">${esc(err.message)}</div>`;
    }
  };
  el.querySelector('#model-filter').addEventListener('input', (e) => render(list, e.target.value));
  el.querySelector('#model-refresh').addEventListener('click', load);
  await load();
}

export function unmount() {
  root = null;
}
