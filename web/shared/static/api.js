// The REST API (api_contract v1) for both front ends: JSON in and out, every error as {code, reason}.

export class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code);
    this.status = status;
    this.code = code;
    this.reason = reason;
  }
}

let onLoginRequired = () => {};

/** Who to call when a request finds the session gone (401 login_required): the front end shows its login. */
export function whenLoginRequired(callback) { onLoginRequired = callback; }

/** ``method`` ``path`` with an optional JSON ``body`` and extra ``headers``; the answer's JSON (null for 204). */
export async function api(method, path, { body, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
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
