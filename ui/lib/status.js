// What the gateway's status means for the UI (pure).

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
