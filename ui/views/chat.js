// Chat: a streaming test chat through the running gateway, with the key a tool uses.

import { esc, icon, ICONS } from '../lib/dom.js';

export const subtitle = 'Test the gateway end to end — the same route and key your tools use';

let root = null;
let ctx = null;
let messages = []; // {role, content, reasoning?, stats?, error?}
let model = '';
let effort = '';
let abort = null;

const MOD = navigator.platform?.toLowerCase().includes('mac') ? '⌘' : 'Ctrl';

function bubble(m, i) {
  if (m.role === 'user') {
    return `<div class="msg user"><div class="msg-body">${esc(m.content)}</div></div>`;
  }
  const reasoning = m.reasoning
    ? `<details class="reasoning"${m.reasoningOpen ? ' open' : ''} data-i="${i}"><summary>Reasoning <span class="muted">· ${m.reasoning.length.toLocaleString()} chars</span></summary><div class="reasoning-body">${esc(m.reasoning)}</div></details>`
    : '';
  const stats = m.stats && !(m.error && !m.content)
    ? `<div class="msg-stats">
        <span title="Time to first token">TTFT <strong>${m.stats.ttft != null ? `${m.stats.ttft} ms` : '—'}</strong></span>
        <span>Speed <strong>${m.stats.tps != null ? `${m.stats.tps} tok/s` : '—'}</strong></span>
        <span>Tokens <strong>${m.stats.input ?? '—'} in · ${m.stats.output ?? '—'} out${m.stats.estimated ? ' (est.)' : ''}</strong></span>
        <span>Model <strong class="mono">${esc(m.stats.model || model)}</strong></span>
        ${m.stats.stopped ? '<span class="tag warn">stopped</span>' : ''}
      </div>`
    : '';
  const error = m.error
    ? `<div class="banner error inline">${icon(ICONS.warn)}<div><strong>${esc(m.error.message)}</strong>${m.error.hint ? `<p>${esc(m.error.hint)}</p>` : ''}</div></div>`
    : '';
  const typing = m.streaming && !m.content && !m.reasoning ? '<span class="typing"><i></i><i></i><i></i></span>' : '';
  return `<div class="msg assistant${m.streaming ? ' streaming' : ''}">
    <div class="msg-avatar" aria-hidden="true">K</div>
    <div class="msg-col">${reasoning}<div class="msg-body">${esc(m.content)}${typing}${m.streaming && m.content ? '<span class="caret"></span>' : ''}</div>${error}${stats}</div>
  </div>`;
}

function render() {
  if (!root) return;
  const list = root.querySelector('#chat-log');
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  list.innerHTML = messages.length
    ? messages.map(bubble).join('')
    : `<div class="chat-empty">
        <div class="chat-empty-mark" aria-hidden="true">${icon('M4 5h16v11H9l-5 4V5z')}</div>
        <h3>Send a message to test the gateway</h3>
        <p class="muted">It goes through <code>/v1/chat/completions</code> with your API key, streamed. You'll see time to first token and tokens per second.</p>
        <div class="suggestions">
          ${['Say hello in five languages.', 'Explain what a reverse proxy does in two sentences.', 'Write a haiku about local APIs.'].map((s) => `<button type="button" class="chip" data-suggest="${esc(s)}">${esc(s)}</button>`).join('')}
        </div>
      </div>`;
  if (stick) list.scrollTop = list.scrollHeight;
  const busy = Boolean(abort);
  root.querySelector('#send-btn').hidden = busy;
  root.querySelector('#stop-btn').hidden = !busy;
}

async function send() {
  const input = root.querySelector('#chat-input');
  const text = input.value.trim();
  if (!text || abort) return;
  if (!model) {
    ctx.toast('Pick a model first', 'error');
    return;
  }
  input.value = '';
  autosize(input);
  messages.push({ role: 'user', content: text });
  const reply = { role: 'assistant', content: '', reasoning: '', streaming: true };
  messages.push(reply);
  const history = messages
    .filter((m) => m !== reply && !m.error)
    .map((m) => ({ role: m.role, content: m.content }));
  abort = new AbortController();
  render();
  const started = performance.now();
  let first = null;
  let chunks = 0;
  let usage = null;
  let answeredModel = null;
  try {
    const body = { model, messages: history };
    if (effort) body.reasoning_effort = effort;
    await ctx.api.chat(body, (chunk) => {
      if (chunk.error) throw Object.assign(new Error(chunk.error.message || 'Stream error'), { hint: chunk.error.type });
      if (chunk.model) answeredModel = chunk.model;
      if (chunk.usage) usage = chunk.usage;
      const delta = chunk.choices?.[0]?.delta || {};
      const piece = delta.content || '';
      const thought = delta.reasoning_content || '';
      if ((piece || thought) && first == null) first = performance.now();
      if (piece) {
        reply.content += piece;
        chunks += 1;
      }
      if (thought) reply.reasoning += thought;
      if (root) queueRender();
    }, abort.signal);
  } catch (err) {
    if (err.name !== 'AbortError') {
      reply.error = { message: err.message, hint: err.hint };
      if (err.status >= 500 && err.status < 600 && !reply.content) reply.error.hint = err.hint || 'The gateway answered with a server error.';
    }
  } finally {
    const end = performance.now();
    const stopped = abort?.signal.aborted;
    abort = null;
    reply.streaming = false;
    const output = usage?.completion_tokens ?? (reply.content ? Math.max(chunks, Math.round((reply.content.length + reply.reasoning.length) / 4)) : null);
    const genSeconds = first != null ? (end - first) / 1000 : null;
    reply.stats = {
      ttft: first != null ? Math.round(first - started) : null,
      tps: output && genSeconds > 0.05 ? Math.round((output / genSeconds) * 10) / 10 : null,
      input: usage?.prompt_tokens,
      output,
      estimated: !usage,
      model: answeredModel,
      stopped,
    };
    render();
  }
}

let queued = false;
function queueRender() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    render();
  });
}

function stop() {
  abort?.abort();
}

function autosize(area) {
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, 220)}px`;
}

export function onKey(event) {
  if (event.key === 'Escape' && abort) {
    event.preventDefault();
    stop();
  } else if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') {
    event.preventDefault();
    send();
  }
}

export async function mount(el, context) {
  root = el;
  ctx = context;
  el.innerHTML = `
    <div class="chat">
      <div class="chat-head">
        <label class="inline-field"><span class="muted small">Model</span>
          <select class="input select" id="model-pick"><option>Loading…</option></select>
        </label>
        <label class="inline-field"><span class="muted small">Reasoning</span>
          <select class="input select compact" id="effort-pick">
            <option value="">Model default</option><option value="low">Low</option><option value="medium">Medium</option><option value="high">High</option>
          </select>
        </label>
        <span class="spacer"></span>
        <button class="btn ghost" type="button" id="new-chat">${icon(ICONS.refresh)}<span>New chat</span></button>
      </div>
      <div class="chat-log" id="chat-log"></div>
      <form class="composer" id="composer">
        <textarea class="input composer-input" id="chat-input" rows="1" placeholder="Message the gateway…"></textarea>
        <div class="composer-actions">
          <span class="muted small kbd-hint"><kbd>${MOD}</kbd> + <kbd>Enter</kbd> to send · <kbd>Esc</kbd> to stop</span>
          <button class="btn primary" type="submit" id="send-btn">${icon(ICONS.send)}<span>Send</span></button>
          <button class="btn danger" type="button" id="stop-btn" hidden>${icon(ICONS.stop)}<span>Stop</span></button>
        </div>
      </form>
    </div>`;
  const input = el.querySelector('#chat-input');
  input.addEventListener('input', () => autosize(input));
  el.querySelector('#composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  el.querySelector('#stop-btn').addEventListener('click', stop);
  el.querySelector('#new-chat').addEventListener('click', () => {
    stop();
    messages = [];
    render();
    input.focus();
  });
  el.querySelector('#chat-log').addEventListener('click', (e) => {
    const s = e.target.closest('[data-suggest]');
    if (s) {
      input.value = s.dataset.suggest;
      input.focus();
    }
  });
  el.querySelector('#chat-log').addEventListener('toggle', (e) => {
    const d = e.target.closest?.('details[data-i]');
    if (d) messages[Number(d.dataset.i)].reasoningOpen = d.open;
  }, true);
  const effortPick = el.querySelector('#effort-pick');
  effortPick.value = effort;
  effortPick.addEventListener('change', () => {
    effort = effortPick.value;
  });
  const pick = el.querySelector('#model-pick');
  pick.addEventListener('change', () => {
    model = pick.value;
  });
  render();
  input.focus();
  try {
    const answer = await ctx.api.models();
    const ids = (answer.models || []).map((m) => m.id);
    if (!model || !ids.includes(model)) model = ids.find((id) => /sonnet/.test(id)) || ids[0] || '';
    pick.innerHTML = (answer.models || []).map((m) => `<option value="${esc(m.id)}"${m.id === model ? ' selected' : ''}>${esc(m.name || m.id)} — ${esc(m.id)}</option>`).join('');
  } catch (err) {
    pick.innerHTML = '<option value="">Models unavailable</option>';
  }
}

export function unmount() {
  root = null;
}
