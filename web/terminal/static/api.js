// The REST API (api_contract v1): JSON in and out, errors as {code, reason}.

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code);
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

let onLoginRequired = () => {};

/** Who to call when a request finds the session gone (401 login_required): the app shows the login screen. */
export function whenLoginRequired(callback) { onLoginRequired = callback; }

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let answer;
  try {
    answer = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'network', error.message);
  }
  if (answer.status === 204) return null;
  let data = null;
  try {
    data = await answer.json();
  } catch {
    data = null;
  }
  if (!answer.ok) {
    const error = new ApiError(answer.status, data?.code || `http_${answer.status}`, data?.reason || answer.statusText);
    if (answer.status === 401 && error.code === 'login_required' && path !== '/api/session') onLoginRequired();
    throw error;
  }
  return data;
}

export const get = (path) => api('GET', path);

export const accountPath = (accountId, tail = '') => `/api/accounts/${encodeURIComponent(accountId)}${tail}`;
