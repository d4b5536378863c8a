// Asks the API (same origin, routed by nginx) for its health and shows the reported version.
'use strict';

async function showApiStatus() {
  const status = document.getElementById('api-status');
  const version = document.getElementById('api-version');
  try {
    const response = await fetch('/health', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await response.json();
    const healthy = response.ok && body.status === 'healthy';
    status.textContent = healthy ? 'healthy' : `unhealthy (HTTP ${response.status})`;
    status.dataset.state = healthy ? 'healthy' : 'unhealthy';
    version.textContent = typeof body.version === 'string' ? body.version : 'unknown';
  } catch (error) {
    status.textContent = 'unreachable';
    status.dataset.state = 'unreachable';
    version.textContent = 'unknown';
    console.error('API health check failed', error);
  }
}

document.addEventListener('DOMContentLoaded', showApiStatus);
