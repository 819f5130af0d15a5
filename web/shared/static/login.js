// The sign-in both front ends share: their login form (#login-form with #login-name, #login-password,
// #login-submit and #login-error) starts a session, and a session the cookie still holds skips it.

import { api } from './api.js';

const $ = (id) => document.getElementById(id);

/** Sign in from the login form: ``enter(user)`` with the new session's user, ``failed(error)`` when refused. */
export function wireLogin(enter, failed) {
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('login-submit');
    button.disabled = true;
    $('login-error').textContent = '';
    try {
      await enter(await api('POST', '/api/session', { body: { login: $('login-name').value.trim(),
        password: $('login-password').value } }));
    } catch (error) {
      failed(error);
    } finally {
      button.disabled = false;
    }
  });
}

/** ``enter(user)`` with the session the cookie still holds; false when there is none, or entering failed. */
export async function resumeSession(enter) {
  let user = null;
  try {
    user = await api('GET', '/api/session');
  } catch {
    user = null;
  }
  if (!user) return false;
  try {
    await enter(user);
    return true;
  } catch (error) {
    console.error(error);
    return false;
  }
}
