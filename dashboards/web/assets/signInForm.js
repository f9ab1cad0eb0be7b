import { ApiError } from './api.js';
import { el } from './dom.js';
import { t } from './i18n.js';

/**
 * A person's sign-in form (user name and password → POST /api/session, the session cookie), for the
 * pages that are for people only (the administrator's). It answers GET /api/me's shape, with the
 * csrfToken the page sends on every state-changing call. The words are the live page's (login.*).
 */
export function createSignInForm({ api, onSignedIn, title: titleKey = 'login.title' }) {
  const username = el('input', {
    id: 'login-username',
    name: 'username',
    type: 'text',
    autocomplete: 'username',
    autocapitalize: 'off',
    spellcheck: 'false',
    required: true,
  });
  const password = el('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = el('p', { class: 'form-error', id: 'login-error', role: 'alert' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary', id: 'login-submit' });
  const title = el('h2', { id: 'login-title' });
  const labels = [el('span'), el('span')];
  const form = el(
    'form',
    { class: 'signin-form', novalidate: true, 'aria-labelledby': 'login-title' },
    title,
    el('label', { class: 'field' }, labels[0], username),
    el('label', { class: 'field' }, labels[1], password),
    error,
    submit,
  );
  let problem = null;
  const say = (next) => {
    problem = next;
    error.textContent = next ? t(next.key, next) : '';
  };
  const relabel = () => {
    title.textContent = t(titleKey);
    labels[0].textContent = t('login.username');
    labels[1].textContent = t('login.password');
    submit.textContent = t('login.submit');
    say(problem);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      if (!username.value.trim() || !password.value) return say({ key: 'login.empty' });
      submit.disabled = true;
      say({ key: 'signin.checking' });
      try {
        const me = await api.signIn(username.value.trim(), password.value);
        password.value = '';
        say(null);
        onSignedIn(me);
      } catch (err) {
        say(signInRefusal(err));
        password.select();
      } finally {
        submit.disabled = false;
      }
    })();
  });
  relabel();
  return {
    element: form,
    relabel,
    /** Shown again (signed out, or the session expired), optionally saying why. */
    reset(next = null) {
      say(next);
      username.focus();
    },
  };
}

/** What a refused sign-in tells the person; the same for an unknown name and a wrong password. */
export function signInRefusal(err) {
  const status = err instanceof ApiError ? err.status : 0;
  if (status === 401) return { key: /disabled/.test(err.message) ? 'login.disabled' : 'login.wrong', status };
  if (status === 429) return { key: 'login.throttled', status, seconds: err.retryAfter ?? 60 };
  if (status === 0) return { key: 'signin.unreachable', status };
  return { key: 'signin.failed', status };
}
