// Overview: status with the fix for an error, a newer release, endpoints, counters, credentials, snippets.

import { esc, icon, ICONS, copyButton, wireCopyButtons, formatDuration } from '../lib/dom.js';
import { uiState } from '../lib/status.js';
import { formatCredits, formatDay, httpUrl } from '../lib/format.js';

export const subtitle = 'Your Kiro subscription as a local OpenAI- and Anthropic-compatible API';

let off = null;
let root = null;
let ctx = null;
let key = '';
let tool = 'claude-code';
let shell = 'bash';

const TOOLS = [
  ['claude-code', 'Claude Code'],
  ['codex', 'Codex'],
  ['cursor', 'Cursor'],
  ['continue', 'Continue'],
  ['cline', 'Cline'],
  ['opencode', 'OpenCode'],
  ['aider', 'aider'],
  ['llm', 'llm'],
  ['openai-sdk', 'OpenAI SDK'],
  ['anthropic-sdk', 'Anthropic SDK'],
  ['curl', 'curl'],
];

// Kiro's id, for OpenAI-style clients.
const MODEL = 'claude-sonnet-4.5';
// The same model as Anthropic's clients write it: Claude Code reads the dotted form as the
// retired Claude Sonnet 4 and warns.
const ANTHROPIC_MODEL = 'claude-sonnet-4-5';
// Its context window, for clients that compact by it (Codex).
const CONTEXT_WINDOW = 200000;

function snippet(id, e, k) {
  const { openai, anthropic } = e;
  switch (id) {
    case 'claude-code':
      return {
        lang: 'bash',
        note: 'Run in the shell you start claude from. For a 1M-window model use its [1m] id from Models.',
        code: `export ANTHROPIC_BASE_URL=${anthropic}\nexport ANTHROPIC_AUTH_TOKEN=${k}\nexport ANTHROPIC_MODEL=${ANTHROPIC_MODEL}\nclaude`,
      };
    case 'codex':
      return {
        lang: 'toml',
        note: 'Add to ~/.codex/config.toml, then export KIRO_GATEWAY_API_KEY in your shell.',
        code: `model = "${MODEL}"\nmodel_provider = "kiro"\nmodel_context_window = ${CONTEXT_WINDOW}\n\n[model_providers.kiro]\nname = "Kiro Gateway"\nbase_url = "${openai}"\nenv_key = "KIRO_GATEWAY_API_KEY"\nwire_api = "responses"\n\n# shell:\n# export KIRO_GATEWAY_API_KEY=${k}`,
      };
    case 'cursor':
      return {
        lang: 'text',
        note: 'Cursor → Settings → Models → OpenAI API Key. Add the model name by hand. Cursor calls from its own servers: the gateway must be reachable from the internet.',
        code: `OpenAI API Key:        ${k}\nOverride OpenAI Base URL: ${openai}\nModel:                 ${MODEL}`,
      };
    case 'continue':
      return {
        lang: 'yaml',
        note: 'Save as ~/.continue/config.yaml (or add the model to your models list).',
        code: `name: Kiro Gateway\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Kiro Claude Sonnet 4.5\n    provider: openai\n    model: ${MODEL}\n    apiBase: ${openai}\n    apiKey: ${k}`,
      };
    case 'cline':
      return {
        lang: 'text',
        note: 'Cline → Settings → API Provider: "OpenAI Compatible".',
        code: `Base URL: ${openai}\nAPI Key:  ${k}\nModel ID: ${MODEL}`,
      };
    case 'opencode':
      return {
        lang: 'json',
        note: 'Save as opencode.json in your project (or ~/.config/opencode/opencode.json).',
        code: JSON.stringify({
          $schema: 'https://opencode.ai/config.json',
          provider: {
            kiro: {
              npm: '@ai-sdk/openai-compatible',
              name: 'Kiro Gateway',
              options: { baseURL: openai, apiKey: k },
              models: { [MODEL]: { name: 'Claude Sonnet 4.5 (Kiro)' } },
            },
          },
          model: `kiro/${MODEL}`,
        }, null, 2),
      };
    case 'aider':
      return {
        lang: 'bash',
        note: 'Run in the shell you start aider from.',
        code: `export OPENAI_API_BASE=${openai}\nexport OPENAI_API_KEY=${k}\naider --model openai/${MODEL}`,
      };
    case 'llm':
      return {
        lang: 'yaml',
        note: 'Add to extra-openai-models.yaml in llm\'s config folder (dirname "$(llm logs path)"), run `llm keys set kiro` with the key, then `llm -m kiro-sonnet "Hello"`.',
        code: `- model_id: kiro-sonnet\n  model_name: ${MODEL}\n  api_base: ${openai}\n  api_key_name: kiro\n  supports_tools: true\n\n# llm keys set kiro  →  ${k}`,
      };
    case 'openai-sdk':
      return {
        lang: 'python',
        note: 'pip install openai',
        code: `from openai import OpenAI\n\nclient = OpenAI(base_url="${openai}", api_key="${k}")\nstream = client.chat.completions.create(\n    model="${MODEL}",\n    messages=[{"role": "user", "content": "Hello!"}],\n    stream=True,\n)\nfor chunk in stream:\n    print(chunk.choices[0].delta.content or "", end="")`,
      };
    case 'anthropic-sdk':
      return {
        lang: 'python',
        note: 'pip install anthropic',
        code: `import anthropic\n\nclient = anthropic.Anthropic(base_url="${anthropic}", api_key="${k}")\nmessage = client.messages.create(\n    model="${ANTHROPIC_MODEL}",\n    max_tokens=1024,\n    messages=[{"role": "user", "content": "Hello!"}],\n)\nprint(message.content[0].text)`,
      };
    default:
      return {
        lang: 'bash',
        note: 'Streams the answer as server-sent events.',
        code: `curl ${openai}/chat/completions \\\n  -H "Authorization: Bearer ${k}" \\\n  -H "Content-Type: application/json" \\\n  -d '{"model": "${MODEL}", "stream": true,\n       "messages": [{"role": "user", "content": "Hello!"}]}'`,
      };
  }
}

function envBlock(kind, e, k) {
  const vars = [
    ['OPENAI_BASE_URL', e.openai],
    ['OPENAI_API_KEY', k],
    ['ANTHROPIC_BASE_URL', e.anthropic],
    ['ANTHROPIC_AUTH_TOKEN', k],
  ];
  if (kind === 'powershell') return vars.map(([n, v]) => `$env:${n} = "${v}"`).join('\n');
  if (kind === 'fish') return vars.map(([n, v]) => `set -gx ${n} ${v}`).join('\n');
  return vars.map(([n, v]) => `export ${n}=${v}`).join('\n');
}

function expiryText(credentials) {
  const s = credentials?.expires_in_seconds;
  if (s == null) return { text: 'No expiry recorded', tone: 'muted' };
  if (s <= 0) return { text: 'Expired — refreshed on the next request', tone: 'warn' };
  return { text: `Token valid for ${formatDuration(s)}`, tone: s < 600 ? 'warn' : 'ok' };
}

// "KIRO PRO · 587 of 1000 credits left · resets in 9 days" from `status.usage` (GetUsageLimits).
const LOGIN_STORES = { kiro_ide: 'Kiro IDE', token_file: 'Token file', kiro_cli: 'kiro-cli', amazon_q: 'Amazon Q CLI', refresh_token: 'REFRESH_TOKEN' };
const SIGN_IN_KINDS = { social: 'Google/GitHub', oidc: 'Builder ID / Identity Center', external_idp: 'company sign-in', api_key: 'API key' };

// The Kiro logins found on this computer, the one in use marked, the others switchable.
function loginsBlock(view) {
  const rows = (view?.logins || []).map((l) => {
    const usage = usageText(l.usage);
    const seen = usage ? ` · ${esc(usage.text)}${l.active ? '' : ' (when last used)'}` : '';
    return `<li class="login-row${l.active ? ' active' : ''}">
      <div class="login-text"><div class="login-name">${esc(LOGIN_STORES[l.store] || l.store)} · ${esc(SIGN_IN_KINDS[l.auth_kind] || l.auth_kind)}${l.region ? ` · ${esc(l.region)}` : ''}</div>
      <div class="muted small">${esc(l.source)}${seen}</div></div>
      ${l.active ? '<span class="tag ok">In use</span>' : `<button class="btn small" type="button" data-use-login="${esc(l.id)}">Use this login</button>`}
    </li>`;
  });
  if (rows.length < 2) return '';
  return `<h3 class="sub-title">Kiro logins on this computer</h3><ul class="login-list" id="login-list">${rows.join('')}</ul>
    <p class="muted small">Only the login in use talks to Kiro; requests already running finish on the one they began with. You choose the login; the gateway never pools logins or rotates between them.</p>`;
}

// The list, if the Overview is still on screen (answers can arrive after it was left).
function showLogins(view) {
  const target = root?.querySelector('#ov-logins');
  if (target) target.innerHTML = loginsBlock(view);
}

async function loadLogins() {
  try {
    const view = await ctx.api.logins();
    showLogins(view);
  } catch {
    /* older gateway or no admin API: nothing to show */
  }
}

// Update check failures meaning the feed's manifest did not verify.
const UNVERIFIED_FEED = ['signature_invalid', 'signature_missing'];
const DOWNLOAD_ICON = 'M12 4v11M7 10l5 5 5-5M5 20h14';

/** An element from fixed markup; what the server sent goes in afterwards as text. */
function element(html) {
  const template = document.createElement('template');
  template.innerHTML = html.trim();
  return template.content.firstElementChild;
}

function setText(parent, selector, text) {
  const el = parent.querySelector(selector);
  el.textContent = text;
  el.hidden = !text;
}

// A link the desktop shell opens in the browser (its opener plugin takes `_blank` links).
function downloadLink(href) {
  const link = element(`<a class="btn primary" id="ov-update-download" target="_blank" rel="noopener noreferrer">${icon(ICONS.external)}<span>Download</span></a>`);
  link.href = href;
  return link;
}

// A newer Kiro Gateway on the release feed (`GET /admin/update`, state `available`).
function availableBanner(update) {
  const { latest } = update;
  const banner = element(`<div class="banner info" role="status" id="ov-update-banner">${icon(DOWNLOAD_ICON)}
    <div class="banner-body"><strong class="update-title"></strong><p class="update-notes"></p>
    <p class="small update-meta"></p><p class="small update-error" role="alert" hidden></p></div>
    <div class="banner-actions"></div></div>`);
  setText(banner, '.update-title', `Kiro Gateway ${latest.version} is available (you have ${update.current_version})`);
  setText(banner, '.update-notes', latest.notes || '');
  const released = formatDay(latest.pub_date);
  const installs = update.installer === 'app' && ctx.isDesktop;
  const how = installs
    ? 'Installing downloads the package, checks its signature, may ask for your administrator password, then restarts the app (open requests get a few seconds to finish).'
    : 'This copy does not install updates itself: install the package with your package manager, or run the installer.';
  setText(banner, '.update-meta', `${released ? `Released ${released}. ` : ''}${how}`);
  const actions = banner.querySelector('.banner-actions');
  if (installs) actions.append(installButton(banner, latest.version));
  const href = httpUrl(latest.download_url);
  if (href) {
    const link = downloadLink(href);
    if (installs) link.classList.remove('primary');
    actions.append(link);
  }
  return banner;
}

// "Install and restart" (desktop app installed from a package): progress and failures show
// in the banner; on success the app restarts into the new version.
function installButton(banner, version) {
  const button = element(`<button class="btn primary" id="ov-update-install" type="button">${icon(DOWNLOAD_ICON)}<span>Install and restart</span></button>`);
  const label = button.querySelector('span');
  button.addEventListener('click', async () => {
    button.disabled = true;
    label.textContent = 'Downloading…';
    setText(banner, '.update-error', '');
    try {
      await ctx.api.installUpdate(({ received, total }) => {
        label.textContent = total ? `Downloading… ${Math.floor((received / total) * 100)} %` : 'Downloading…';
      });
      label.textContent = `Restarting into ${version}…`;
    } catch (err) {
      button.disabled = false;
      label.textContent = 'Install and restart';
      setText(banner, '.update-error', `${err.message}${err.hint ? ` ${err.hint}` : ''}`);
      banner.querySelector('.update-error').dataset.code = err.code;
    }
  });
  return button;
}

// The feed answered, but its manifest's signature did not verify: nothing from it is shown.
function unverifiedBanner(update) {
  const banner = element(`<div class="banner warn" role="alert" id="ov-update-banner">${icon(ICONS.warn)}
    <div class="banner-body"><strong>The release feed's manifest did not verify and was ignored.</strong>
    <p class="update-hint"></p><p class="small update-meta"></p></div>
    <div class="banner-actions"><button class="btn" data-goto="settings" type="button">Open settings</button></div></div>`);
  setText(banner, '.update-hint', update.error.hint || '');
  setText(banner, '.update-meta', update.feed ? `Feed: ${update.feed}` : '');
  return banner;
}

function updateBanner(update) {
  if (update?.state === 'available' && update.latest) return availableBanner(update);
  if (update?.state === 'failed' && UNVERIFIED_FEED.includes(update.error?.code)) return unverifiedBanner(update);
  return null;
}

// The banner, if the Overview is still on screen (answers can arrive after it was left).
function showUpdate(update) {
  const target = root?.querySelector('#ov-update');
  if (!target) return;
  const banner = updateBanner(update);
  target.replaceChildren(...(banner ? [banner] : []));
}

async function loadUpdate() {
  try {
    showUpdate(await ctx.api.update());
  } catch {
    /* older gateway: nothing to show */
  }
}

function usageText(u) {
  if (!u || u.remaining == null || u.limit == null) return null;
  const left = Math.floor(Math.max(0, u.remaining));
  const parts = [];
  if (u.subscription) parts.push(u.subscription);
  parts.push(`${left} of ${Math.round(u.limit)} ${(u.unit_plural || 'Credits').toLowerCase()} left`);
  const ms = u.resets_at ? new Date(u.resets_at) - Date.now() : NaN;
  if (ms > 0) {
    const days = Math.ceil(ms / 86400000);
    parts.push(`resets in ${days} day${days === 1 ? '' : 's'}`);
  }
  return { text: parts.join(' · '), tone: left <= 0 ? 'tone-error' : '' };
}

// What this gateway spent (`status.credits_spent`, from each request's metering): today, this
// month, and one bar per day for the last 30 days.
function spentBlock(spent) {
  if (!spent) return '<p class="muted small">Not known yet.</p>';
  const days = spent.days || [];
  const max = Math.max(...days.map((d) => d.credits), 0);
  const bars = days.map((d) => {
    const pct = max > 0 ? Math.max(2, Math.round((d.credits / max) * 100)) : 0;
    const label = `${new Date(`${d.date}T00:00:00`).toLocaleDateString([], { month: 'short', day: 'numeric' })}: ${formatCredits(d.credits)} credits`;
    return `<span class="spend-bar${d.credits > 0 ? '' : ' zero'}" data-pct="${d.credits > 0 ? pct : 0}" title="${esc(label)}" aria-label="${esc(label)}"></span>`;
  }).join('');
  const models = Object.entries(spent.today?.by_model || {}).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([model, credits]) => `<span class="tag">${esc(model)} ${esc(formatCredits(credits))}</span>`).join(' ');
  return `
    <div class="stats spend-stats">
      <div class="stat"><span class="stat-value" id="spent-today">${esc(formatCredits(spent.today?.credits))}</span><span class="stat-label">Today · ${spent.today?.requests ?? 0} requests</span></div>
      <div class="stat"><span class="stat-value" id="spent-month">${esc(formatCredits(spent.month_credits))}</span><span class="stat-label">This month · ${spent.month_requests ?? 0} requests</span></div>
    </div>
    <div class="spend-chart" id="spent-chart" role="img" aria-label="Credits per day, last ${days.length} days">${bars}</div>
    <p class="muted small">${models ? `Today by model: ${models}. ` : ''}As Kiro reports each request's cost; kept on this computer.</p>`;
}

// The budget caps you set (`status.credit_caps`): how far each is used, and whether requests
// are paused at a reached cap.
function capsBlock(caps) {
  if (!caps?.caps?.length) return '';
  const lines = caps.caps.map((c) => {
    const pct = c.cap > 0 ? Math.floor((c.spent / c.cap) * 100) : 0;
    const reset = new Date(c.resets_at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    const tone = c.threshold === 100 ? 'tone-error' : c.threshold === 80 ? 'tone-warn' : '';
    return `<li class="cap-line" data-period="${esc(c.period)}"><span class="tag ${tone}">${esc(c.period === 'daily' ? 'Daily cap' : 'Monthly cap')} ${pct} %</span>
      ${esc(formatCredits(c.spent))} of ${esc(formatCredits(c.cap))} credits · starts over ${esc(reset)}</li>`;
  }).join('');
  const paused = caps.paused
    ? '<p class="tone-error small" id="cap-paused">A cap is reached: requests are paused until it starts over. Raise the cap or turn off “Pause at cap” in Settings to go on.</p>'
    : '';
  return `<ul class="cap-lines" id="ov-caps">${lines}</ul>${paused}`;
}

function fixBlock(status) {
  const g = status.gateway || {};
  const fix = status.fix || {};
  const last = status.restart?.last_error;
  const error = g.state === 'error' ? g : last;
  if (!error && !status.unreachable) return '';
  if (status.unreachable) {
    return `<div class="banner error" role="alert">${icon(ICONS.warn)}
      <div><strong>The gateway is not answering at ${esc(location.host)}.</strong>
      <p>Start <code>kiro-gateway</code> again (the page reconnects by itself).</p></div></div>`;
  }
  const port = fix.action === 'use_port' ? fix.port : (error.code === 'port_in_use' ? error.suggested_port ?? null : null);
  let action = '';
  if (port) action = `<button class="btn primary" data-use-port="${port}" type="button">Use port ${port}</button>`;
  else if (fix.action === 'sign_in' || error.code === 'credentials') action = `<p class="banner-note">${esc(fix.text || 'Sign in with the Kiro IDE or run kiro-cli login, then start again.')}</p>`;
  else action = `<button class="btn" data-goto="settings" type="button">Open settings</button>`;
  return `<div class="banner error" role="alert">${icon(ICONS.warn)}
    <div class="banner-body"><strong>${esc(error.message)}</strong><p>${esc(error.hint)}</p></div>
    <div class="banner-actions">${action}</div></div>`;
}

// Kiro asked the gateway to wait (`status.upstream_hold`): nothing is sent upstream until then.
function holdBlock(status) {
  const hold = status.upstream_hold;
  if (!hold) return '';
  const left = Math.max(0, Math.ceil((new Date(hold.until).getTime() - Date.now()) / 1000));
  const wait = left >= 120 ? `${Math.ceil(left / 60)} min` : `${left} s`;
  const title = hold.cause === 'suspended'
    ? 'Kiro has suspended this account. Contact Kiro support to restore it.'
    : 'Kiro asked to slow down.';
  return `<div class="banner warn" role="status" id="ov-hold">${icon(ICONS.warn)}
    <div class="banner-body"><strong>${esc(title)}</strong>
    <p>No request is sent to Kiro for ${esc(wait)} more; clients get an error that says so. Kiro said: ${esc(hold.message || '—')}</p></div></div>`;
}

function render(status) {
  if (!root || !status) return;
  const e = status.endpoints || { openai: '', anthropic: '', host: '', port: '' };
  const { state, label } = uiState(status);
  const m = status.metrics || {};
  const success = m.requests ? Math.round(((m.requests - m.errors) / m.requests) * 1000) / 10 : null;
  const exp = expiryText(status.credentials);
  const k = key || 'YOUR_API_KEY';
  const s = snippet(tool, e, k);
  root.querySelector('#ov-hero').innerHTML = `
    <div class="hero-state">
      <span class="big-dot" data-state="${state}"></span>
      <div>
        <div class="hero-label">${esc(label)}</div>
        <div class="muted">${state === 'running' ? `Listening on <span class="mono">${esc(e.host)}:${esc(e.port)}</span>${e.lan ? ' · <span class="tag warn">LAN</span>' : ' · this computer only'}` : esc(status.gateway?.message || '')}</div>
      </div>
    </div>
    <div class="stats">
      <div class="stat"><span class="stat-value" id="stat-requests">${m.requests ?? 0}</span><span class="stat-label">Requests</span></div>
      <div class="stat"><span class="stat-value">${success == null ? '—' : `${success}%`}</span><span class="stat-label">Success</span></div>
      <div class="stat"><span class="stat-value ${m.errors ? 'tone-error' : ''}">${m.errors ?? 0}</span><span class="stat-label">Errors</span></div>
      <div class="stat"><span class="stat-value">${m.active_streams ?? 0}</span><span class="stat-label">Active streams</span></div>
      <div class="stat"><span class="stat-value">${formatDuration(status.uptime_seconds)}</span><span class="stat-label">Uptime</span></div>
    </div>`;
  root.querySelector('#ov-fix').innerHTML = fixBlock(status) + holdBlock(status);
  root.querySelector('#ov-endpoints').innerHTML = `
    <div class="endpoint">
      <div class="endpoint-head"><span class="badge openai">OpenAI</span><span class="muted small">Chat Completions, Models</span></div>
      <div class="copy-field"><code id="openai-url">${esc(e.openai)}</code>${copyButton(e.openai, 'OpenAI base URL')}</div>
    </div>
    <div class="endpoint">
      <div class="endpoint-head"><span class="badge anthropic">Anthropic</span><span class="muted small">Messages</span></div>
      <div class="copy-field"><code id="anthropic-url">${esc(e.anthropic)}</code>${copyButton(e.anthropic, 'Anthropic base URL')}</div>
    </div>
    <div class="endpoint">
      <div class="endpoint-head"><span class="badge key">API key</span><span class="muted small">Bearer or x-api-key</span></div>
      <div class="copy-field"><code class="masked">${key ? `${esc(key.slice(0, 8))}${'•'.repeat(16)}` : (status.auth_required === false ? 'none (--no-auth)' : '•'.repeat(20))}</code>${key ? copyButton(key, 'API key') : ''}</div>
    </div>
    ${e.lan ? `<div class="endpoint">
      <div class="endpoint-head"><span class="badge lan">LAN</span><span class="muted small">For other devices on your network</span></div>
      ${e.lan_warning ? `<p class="small tone-warn" id="lan-warning">${esc(e.lan_warning)}</p>` : ''}
      ${e.lan_base ? `<div class="copy-field"><code id="lan-url">${esc(e.lan_base)}/v1</code>${copyButton(`${e.lan_base}/v1`, 'LAN base URL')}</div>` : '<p class="muted small">Listening on all interfaces; use this computer\'s network address with the same port.</p>'}
    </div>` : ''}
    <div class="env-row">
      <span class="muted small">Copy as environment:</span>
      <div class="seg" role="tablist">${['bash', 'powershell', 'fish'].map((x) => `<button type="button" class="seg-btn${shell === x ? ' active' : ''}" data-shell="${x}">${x === 'powershell' ? 'PowerShell' : x}</button>`).join('')}</div>
      ${copyButton(envBlock(shell, e, k), 'Environment variables', 'Copy env')}
    </div>`;
  const c = status.credentials || {};
  const usage = usageText(status.usage);
  root.querySelector('#ov-creds').innerHTML = `
    <dl class="kv">
      <dt>Source</dt><dd>${esc(c.source || '—')}</dd>
      <dt>Login</dt><dd>${esc((c.auth_kind || '—').replace('_', ' '))}${c.api_region ? ` · ${esc(c.api_region)}` : ''}</dd>
      <dt>Token</dt><dd><span class="tag ${exp.tone}">${esc(exp.text)}</span>${c.expires_at ? `<div class="muted small">until ${esc(new Date(c.expires_at).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }))}</div>` : ''}</dd>
      ${usage ? `<dt>Credits</dt><dd id="ov-usage" class="${usage.tone}">${esc(usage.text)}</dd>` : ''}
      <dt>Refreshes</dt><dd>${c.refresh_count ?? 0} by the gateway${c.auth_kind === 'api_key' ? ' · API keys never expire' : ' · adopts tokens the IDE refreshes'}</dd>
      ${c.last_refresh_error ? `<dt>Last refresh</dt><dd class="tone-error">${esc(c.last_refresh_error)}</dd>` : ''}
      ${c.read_only ? '<dt>Write-back</dt><dd class="muted">Read-only source: refreshed tokens stay in memory</dd>' : ''}
    </dl>
    <p class="muted small creds-note">Tokens never leave this computer and are never shown here. When the Kiro IDE or <code>kiro-cli</code> signs in again, the gateway picks up the new token by itself.</p>`;
  root.querySelector('#ov-spent').innerHTML = spentBlock(status.credits_spent) + capsBlock(status.credit_caps);
  // Heights through the CSSOM: the page's CSP refuses inline style attributes.
  root.querySelectorAll('#ov-spent .spend-bar:not(.zero)').forEach((bar) => { bar.style.height = `${bar.dataset.pct}%`; });
  root.querySelector('#ov-tools').innerHTML = `
    <div class="tabs" role="tablist">${TOOLS.map(([id, name]) => `<button type="button" role="tab" class="tab${tool === id ? ' active' : ''}" data-tool="${id}">${name}</button>`).join('')}</div>
    <div class="snippet">
      <div class="snippet-head"><span class="muted small">${esc(s.note)}</span>${copyButton(s.code, `${TOOLS.find((t) => t[0] === tool)[1]} snippet`, 'Copy')}</div>
      <pre class="code" data-lang="${s.lang}"><code id="tool-snippet">${esc(s.code)}</code></pre>
    </div>`;
}

export async function mount(el, context) {
  ctx = context;
  root = el;
  el.innerHTML = `
    <div id="ov-fix"></div>
    <div id="ov-update"></div>
    <div class="card hero" id="ov-hero"><div class="skeleton"></div></div>
    <div class="grid-2">
      <section class="card"><h2 class="card-title">Endpoints</h2><div id="ov-endpoints" class="endpoints"></div></section>
      <section class="card"><h2 class="card-title">Kiro credentials</h2><div id="ov-creds"></div><div id="ov-logins"></div></section>
    </div>
    <section class="card"><h2 class="card-title">Credits spent</h2><div id="ov-spent"></div></section>
    <section class="card"><h2 class="card-title">Connect your tool</h2>
      <p class="muted small ov-connect-line">Let the gateway edit the tool's own settings (you see the change first, and can undo it): <a class="btn small" href="#connect" id="ov-connect">Connect in one click</a></p>
      <div id="ov-tools"></div></section>`;
  wireCopyButtons(el);
  el.addEventListener('click', async (event) => {
    const t = event.target.closest('[data-tool]');
    if (t) {
      tool = t.dataset.tool;
      render(ctx.currentStatus());
      return;
    }
    const sh = event.target.closest('[data-shell]');
    if (sh) {
      shell = sh.dataset.shell;
      render(ctx.currentStatus());
      return;
    }
    const go = event.target.closest('[data-goto]');
    if (go) ctx.navigate(go.dataset.goto);
    const pick = event.target.closest('[data-use-login]');
    if (pick) {
      pick.disabled = true;
      try {
        const view = await ctx.api.switchLogin(pick.dataset.useLogin);
        showLogins(view);
        const now = view.logins.find((l) => l.active);
        ctx.toast(`Now using ${LOGIN_STORES[now?.store] || 'the login'} · ${SIGN_IN_KINDS[now?.auth_kind] || ''} for new requests`, 'success');
        ctx.refreshStatus?.();
      } catch (err) {
        ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
        pick.disabled = false;
      }
      return;
    }
    const use = event.target.closest('[data-use-port]');
    if (use) {
      use.disabled = true;
      try {
        const answer = await ctx.api.saveSettings({ port: Number(use.dataset.usePort) });
        if (answer.restarting) ctx.followTo(answer.endpoints, 'overview');
      } catch (err) {
        ctx.toast(`${err.message} ${err.hint || ''}`, 'error');
        use.disabled = false;
      }
    }
  });
  off = ctx.onStatus(render);
  try {
    const answer = await ctx.api.revealKey();
    key = answer?.key || '';
  } catch {
    key = '';
  }
  render(ctx.currentStatus());
  loadLogins();
  loadUpdate();
}

export function unmount() {
  off?.();
  off = null;
  root = null;
}
