import { ApiError, createApi } from './api.js';
import { createBoard } from './board.js';
import { getLang, initLang, onLangChange, setLang, t, translateStatic } from './i18n.js';
import { showReports } from './reports.js';
import { signInRefusal } from './signInForm.js';
import { initTimeZone } from './time.js';

const TOKEN_KEY = 'sealwatch.token';
const RETRY_MS = 10_000;
const $ = (id) => document.getElementById(id);

initLang();
initTimeZone();

/** A pasted access token (machines, the old way), kept in the browser. */
let token = read(localStorage, TOKEN_KEY);
/**
 * A person signed in with user name and password holds the session cookie (HttpOnly: never seen
 * here) and this CSRF token from GET /api/me, sent with every call that changes something.
 */
let csrfToken = null;
const api = createApi(
  () => token,
  () => csrfToken,
);
let board = null;

function read(storage, key) {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage disabled: the token lasts for this page only.
  }
}

function markLanguage() {
  for (const button of document.querySelectorAll('.lang-btn')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === getLang()));
  }
}

function showSignIn(problem = null) {
  $('board').hidden = true;
  $('sign-out').hidden = true;
  $('scope').hidden = true;
  $('conn').hidden = true;
  $('signin').hidden = false;
  // A problem with a pasted token shows by the token form, opened.
  const where = token === null ? 'login-error' : 'signin-error';
  if (where === 'signin-error') $('signin-advanced').open = true;
  showProblem(problem, where);
  (where === 'login-error' ? $('login-username') : $('signin-token')).focus();
}

function showBoard(overview) {
  $('signin').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  $('conn').hidden = false;
  if (board) {
    // A board that was stopped (token expired) holds stale state: start from a clean page.
    location.reload();
    return;
  }
  board = createBoard({
    api,
    getToken: () => token,
    onUnauthorized: () => {
      const person = token === null;
      token = null;
      csrfToken = null;
      write(localStorage, TOKEN_KEY, null);
      showSignIn({ key: person ? 'login.expired' : 'signin.expired' });
    },
  });
  board.start(overview);
  showReports(() => token);
}

/**
 * `?next=/wall`: a page of this site that sent the person here to sign in (the wall) gets them back.
 * Only a path of this site is followed; a tick later, so a pasted token is stored first.
 */
function returnToNext() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !/^\/[A-Za-z0-9_-]+(?:\?[^#]*)?$/.test(next)) return false;
  setTimeout(() => location.replace(next), 0);
  return true;
}

/** Checks the token with GET /api/overview; answers the problem to show, or null. */
async function trySignIn() {
  try {
    const overview = await api.overview();
    if (returnToNext()) return null;
    showBoard(overview);
    return null;
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    if (status === 401) return { key: 'signin.invalid', status };
    if (status === 403) return { key: 'signin.forbidden', status };
    if (status === 0) return { key: 'signin.unreachable', status };
    return { key: 'signin.failed', status };
  }
}

function showProblem(problem, where = 'signin-error') {
  for (const id of ['login-error', 'signin-error']) {
    const error = $(id);
    const shown = id === where ? problem : null;
    error.dataset.key = shown?.key ?? '';
    error.dataset.status = String(shown?.status ?? '');
    error.dataset.seconds = String(shown?.seconds ?? '');
    error.textContent = shown ? t(shown.key, { status: shown.status, seconds: shown.seconds }) : '';
  }
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    const username = $('login-username').value.trim();
    const password = $('login-password').value;
    if (!username || !password) {
      showProblem({ key: 'login.empty' }, 'login-error');
      return;
    }
    const submit = $('login-submit');
    submit.disabled = true;
    $('login-error').textContent = t('signin.checking');
    try {
      const me = await api.signIn(username, password);
      token = null;
      write(localStorage, TOKEN_KEY, null);
      csrfToken = me.csrfToken;
    } catch (err) {
      submit.disabled = false;
      showProblem(signInRefusal(err), 'login-error');
      $('login-password').select();
      return;
    }
    $('login-password').value = '';
    const problem = await trySignIn();
    submit.disabled = false;
    showProblem(problem, 'login-error');
  })();
});

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    const value = $('signin-token').value.trim();
    const error = $('signin-error');
    csrfToken = null;
    if (!value) {
      error.textContent = t('signin.empty');
      return;
    }
    const submit = $('signin-submit');
    submit.disabled = true;
    error.textContent = t('signin.checking');
    token = value;
    const problem = await trySignIn();
    submit.disabled = false;
    if (problem) {
      token = null;
      showProblem(problem);
      return;
    }
    write(localStorage, TOKEN_KEY, value);
    $('signin-token').value = '';
    error.textContent = '';
  })();
});

$('sign-out').addEventListener('click', () => {
  void (async () => {
    board?.stop();
    // A person's session ends on the server too; a token stays valid (it is a machine's).
    if (token === null && csrfToken !== null) await api.signOut().catch(() => {});
    token = null;
    csrfToken = null;
    write(localStorage, TOKEN_KEY, null);
    // A fresh page holds nothing of the last person's data.
    location.replace(location.pathname + location.search);
  })();
});

for (const button of document.querySelectorAll('.lang-btn')) {
  button.addEventListener('click', () => setLang(button.dataset.lang));
}

onLangChange(() => {
  translateStatic();
  markLanguage();
  for (const id of ['login-error', 'signin-error']) {
    const error = $(id);
    const { key, status, seconds } = error.dataset;
    if (key) error.textContent = t(key, { status, seconds });
  }
  board?.relabel();
});

translateStatic();
markLanguage();

/**
 * A wall screen that comes back before the server does must recover by itself:
 * with a stored token, keep trying while the server is unreachable.
 */
async function resume() {
  const problem = await trySignIn();
  if (!problem) return;
  if (problem.key === 'signin.invalid') {
    token = null;
    write(localStorage, TOKEN_KEY, null);
    showSignIn({ key: 'signin.expired' });
    return;
  }
  showSignIn(problem);
  if (problem.key === 'signin.unreachable' || problem.key === 'signin.failed') {
    setTimeout(() => {
      if (token && !$('signin').hidden) void resume();
    }, RETRY_MS);
  }
}

/** A person signed in before (the session cookie): GET /api/me says who, with the CSRF token. */
async function resumeSession() {
  try {
    const me = await api.me();
    if (me?.kind !== 'user') return showSignIn();
    csrfToken = me.csrfToken;
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    return showSignIn(status === 401 ? null : signInRefusal(err));
  }
  const problem = await trySignIn();
  if (problem) showSignIn(problem);
}

if (token) {
  $('conn').hidden = true;
  void resume();
} else {
  $('conn').hidden = true;
  void resumeSession();
}
