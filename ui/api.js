// The only module that knows the transport.
//
// Browser build (headless `kiro-gateway`, page served at /ui): HTTP to the same origin's
// /admin/* and /v1/* with the API key the user typed once (kept in sessionStorage).
// Desktop build (window.__TAURI__ present): every call is a Tauri command with the same
// name and arguments (see TAURI_COMMANDS); streams arrive on a Tauri Channel.

const KEY_STORAGE = 'kiro-gateway.api-key';
const tauri = typeof window !== 'undefined' ? window.__TAURI__ : undefined;

export const isDesktop = Boolean(tauri);

/** An error from the gateway: `{code, message, hint, field?, suggested_port?}` plus HTTP status. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `Request failed (${status})`);
    this.status = status;
    this.code = body?.code || (status === 0 ? 'unreachable' : 'error');
    this.hint = body?.hint || '';
    this.field = body?.field;
    this.suggestedPort = body?.suggested_port;
  }
}

// ---- key handling (browser build) ----

export function getKey() {
  return sessionStorage.getItem(KEY_STORAGE) || '';
}

export function setKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** Where the gateway is (browser build: this page's origin). */
export function baseUrl() {
  return location.origin;
}

// ---- HTTP transport ----

async function http(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, {
      code: 'unreachable',
      message: 'The gateway is not answering.',
      hint: 'Is kiro-gateway still running?',
    });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    // /v1 errors come as {error:{message,code}}; /admin errors as {code,message,hint}.
    const body = json?.error ? { ...json.error, code: json.error.code || json.error.type } : json;
    throw new ApiError(response.status, body || { message: text.slice(0, 200) });
  }
  return json;
}

/** Read a `text/event-stream` body, calling onEvent({event, data}) per event. */
export async function readSse(response, onEvent, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const abort = () => reader.cancel().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
        let event = 'message';
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (line.startsWith(':')) continue;
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) onEvent({ event, data: data.join('\n') });
      }
    }
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

// ---- Tauri transport ----

// Command names the desktop shell must register (arguments in camelCase, as Tauri expects).
export const TAURI_COMMANDS = {
  status: 'admin_status',
  getSettings: 'admin_get_settings',
  saveSettings: 'admin_put_settings', // { patch }
  revealKey: 'admin_reveal_key',
  regenerateKey: 'admin_regenerate_key',
  saveKeyToFile: 'admin_save_key_to_file',
  logs: 'admin_logs', // { since }
  clearLogs: 'admin_clear_logs',
  streamLogs: 'admin_stream_logs', // { channel } → LogEvent objects
  models: 'admin_models',
  restart: 'admin_restart',
  connectOverview: 'admin_connect_overview', // { model }
  connect: 'admin_connect', // { client, model }
  connectUndo: 'admin_connect_undo', // { client }
  logins: 'admin_logins',
  switchLogin: 'admin_switch_login', // { id }
  start: 'gateway_start',
  stop: 'gateway_stop',
  chat: 'chat_stream', // { id, body, channel } → {data} SSE items; resolves {end}
  chatCancel: 'chat_cancel', // { id }
  openLogFolder: 'open_log_folder',
  dumps: 'admin_dumps',
  dump: 'admin_dump', // { id }
  setDumpMode: 'admin_set_dump_mode', // { mode }
  replayDump: 'admin_replay_dump', // { id }
  saveDumpBundle: 'admin_save_dump_bundle', // { id } → { path }
  drift: 'admin_drift',
  update: 'admin_update',
  checkUpdate: 'admin_check_update',
  installUpdate: 'install_update', // { channel } → {received, total} progress; resolves {version}
};

async function invoke(name, args) {
  try {
    return await tauri.core.invoke(TAURI_COMMANDS[name], args);
  } catch (err) {
    // Commands return {code, message, hint} errors.
    throw new ApiError(err?.status || 500, typeof err === 'object' ? err : { message: String(err) });
  }
}

// ---- the API the views use ----

export const api = {
  status: () => (tauri ? invoke('status') : http('GET', '/admin/status')),
  getSettings: () => (tauri ? invoke('getSettings') : http('GET', '/admin/settings')),
  saveSettings: (patch) => (tauri ? invoke('saveSettings', { patch }) : http('PUT', '/admin/settings', patch)),
  revealKey: () => (tauri ? invoke('revealKey') : http('GET', '/admin/api-key')),
  regenerateKey: async () => {
    const answer = tauri ? await invoke('regenerateKey') : await http('POST', '/admin/api-key/regenerate');
    if (!tauri && answer?.key) setKey(answer.key);
    return answer;
  },
  saveKeyToFile: () => (tauri ? invoke('saveKeyToFile') : http('POST', '/admin/api-key/save-to-file')),
  logs: (since) => (tauri ? invoke('logs', { since }) : http('GET', `/admin/logs${since ? `?since=${since}` : ''}`)),
  clearLogs: () => (tauri ? invoke('clearLogs') : http('DELETE', '/admin/logs')),
  models: () => (tauri ? invoke('models') : http('GET', '/admin/models')),
  restart: () => (tauri ? invoke('restart') : http('POST', '/admin/restart')),
  /** Connect a tool: every client, installed?, connected?, and the diff a connect with `model` makes. */
  connectOverview: (model) => (tauri
    ? invoke('connectOverview', { model: model || null })
    : http('GET', `/admin/connect${model ? `?model=${encodeURIComponent(model)}` : ''}`)),
  connect: (client, model) => (tauri
    ? invoke('connect', { client, model: model || null })
    : http('POST', `/admin/connect/${encodeURIComponent(client)}`, { model: model || null })),
  connectUndo: (client) => (tauri
    ? invoke('connectUndo', { client })
    : http('POST', `/admin/connect/${encodeURIComponent(client)}/undo`)),
  /** The Kiro logins on this machine, the one in use marked. */
  logins: () => (tauri ? invoke('logins') : http('GET', '/admin/logins')),
  /** Use another Kiro login for the requests that start from now on. */
  switchLogin: (id) => (tauri ? invoke('switchLogin', { id }) : http('POST', '/admin/logins/switch', { id })),
  /** Desktop only: called when a second launch brought this window forward. */
  onSecondLaunch(callback) {
    tauri?.event?.listen('second-instance', () => callback());
  },
  /** Desktop only: start / stop the server (the browser build cannot stop the server it is served by). */
  start: () => invoke('start'),
  stop: () => invoke('stop'),
  openLogFolder: () => (tauri ? invoke('openLogFolder') : Promise.resolve(false)),
  dumps: () => (tauri ? invoke('dumps') : http('GET', '/admin/dumps')),
  dump: (id) => (tauri ? invoke('dump', { id }) : http('GET', `/admin/dumps/${encodeURIComponent(id)}`)),
  setDumpMode: (mode) => (tauri ? invoke('setDumpMode', { mode }) : http('PUT', '/admin/dumps/mode', { mode })),
  replayDump: (id) => (tauri ? invoke('replayDump', { id }) : http('POST', `/admin/dumps/${encodeURIComponent(id)}/replay`)),
  drift: () => (tauri ? invoke('drift') : http('GET', '/admin/drift')),
  /** The update check: this version, the feed, the last check's state and what it found. */
  update: () => (tauri ? invoke('update') : http('GET', '/admin/update')),
  /** Ask the release feed now; resolves with the same view once it answered. */
  checkUpdate: () => (tauri ? invoke('checkUpdate') : http('POST', '/admin/update/check')),
  /**
   * Desktop app installed from a package: download, verify and install the offered release
   * (the app restarts into it). onProgress gets {received, total} bytes.
   */
  async installUpdate(onProgress) {
    if (!tauri) throw new ApiError(0, { code: 'not_installable', message: 'Only the desktop app installs updates.' });
    const channel = new tauri.core.Channel();
    channel.onmessage = (progress) => onProgress?.(progress);
    return invoke('installUpdate', { channel });
  },
  /**
   * The dump's debug bundle (a zip, redacted): downloaded in the browser; saved to the
   * Downloads folder by the desktop app. Resolves with what to tell the user.
   */
  async saveDumpBundle(id) {
    if (tauri) {
      const saved = await invoke('saveDumpBundle', { id });
      return `Debug bundle saved to ${saved.path}`;
    }
    const response = await fetch(`/admin/dumps/${encodeURIComponent(id)}/bundle`, {
      headers: { Authorization: `Bearer ${getKey()}` },
      cache: 'no-store',
    });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '')?.[1] || `kiro-gateway-dump-${id}.zip`;
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return `Debug bundle downloaded: ${name}`;
  },

  /** Live log lines and request records until `signal` aborts or the server restarts. */
  async streamLogs(onEvent, signal) {
    if (tauri) {
      const channel = new tauri.core.Channel();
      channel.onmessage = (event) => onEvent(event);
      await invoke('streamLogs', { channel });
      return new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    }
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${getKey()}` };
    const response = await fetch('/admin/logs/stream', { headers, signal, cache: 'no-store' });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    await readSse(response, ({ event, data }) => {
      if (event === 'lagged') return;
      try {
        onEvent(JSON.parse(data));
      } catch {
        /* ignore a malformed line */
      }
    }, signal);
  },

  /**
   * A streaming chat completion through the running gateway, with the same key a tool uses.
   * Calls onChunk(parsedChunk) for each `data:` JSON; resolves when the stream ends.
   */
  async chat(body, onChunk, signal) {
    if (tauri) {
      // Over IPC: the shell posts to the running gateway with the key a tool uses.
      const id = `chat-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      let failure = null;
      const channel = new tauri.core.Channel();
      channel.onmessage = ({ data }) => {
        if (failure || !data || data === '[DONE]') return;
        try {
          onChunk(JSON.parse(data));
        } catch (err) {
          failure = err;
          invoke('chatCancel', { id }).catch(() => {});
        }
      };
      const cancel = () => invoke('chatCancel', { id }).catch(() => {});
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        await invoke('chat', { id, body, channel });
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
      if (failure) throw failure;
      if (signal?.aborted) throw new DOMException('Stopped', 'AbortError');
      return;
    }
    let response;
    try {
      response = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'text/event-stream',
          Authorization: `Bearer ${getKey()}`,
        },
        body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
        signal,
      });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(0, { message: 'The gateway is not answering.', hint: 'Is kiro-gateway still running?' });
    }
    if (!response.ok) {
      const json = await response.json().catch(() => null);
      const error = json?.error || json || {};
      throw new ApiError(response.status, { code: error.code || error.type, message: error.message, hint: error.hint });
    }
    await readSse(response, ({ data }) => {
      if (data === '[DONE]') return;
      try {
        onChunk(JSON.parse(data));
      } catch {
        /* ignore */
      }
    }, signal);
  },

  /** Browser build: wait until a gateway answers at `base` (used after a port change). */
  async waitFor(base, timeoutMs = 6000) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      try {
        await fetch(`${base}/health`, { mode: 'no-cors', cache: 'no-store' });
        return true;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    return false;
  },
};
