import { ApiError, createApi } from './api.js';
import { createBoard } from './board.js';
import { getLang, initLang, onLangChange, setLang, t, translateStatic } from './i18n.js';
import { initTimeZone } from './time.js';

const TOKEN_KEY = 'sealwatch.token';
const RETRY_MS = 10_000;
const $ = (id) => document.getElementById(id);

initLang();
initTimeZone();

let token = read(localStorage, TOKEN_KEY);
const api = createApi(() => token);
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
  showProblem(problem);
  $('signin-token').focus();
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
      token = null;
      write(localStorage, TOKEN_KEY, null);
      showSignIn({ key: 'signin.expired' });
    },
  });
  board.start(overview);
}

/** Checks the token with GET /api/overview; answers the problem to show, or null. */
async function trySignIn() {
  try {
    const overview = await api.overview();
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

function showProblem(problem) {
  const error = $('signin-error');
  error.dataset.key = problem?.key ?? '';
  error.dataset.status = String(problem?.status ?? '');
  error.textContent = problem ? t(problem.key, { status: problem.status }) : '';
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    const value = $('signin-token').value.trim();
    const error = $('signin-error');
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
  board?.stop();
  token = null;
  write(localStorage, TOKEN_KEY, null);
  // A fresh page holds nothing of the last person's data.
  location.replace(location.pathname + location.search);
});

for (const button of document.querySelectorAll('.lang-btn')) {
  button.addEventListener('click', () => setLang(button.dataset.lang));
}

onLangChange(() => {
  translateStatic();
  markLanguage();
  const error = $('signin-error');
  if (error.dataset.key) error.textContent = t(error.dataset.key, { status: error.dataset.status });
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

if (token) {
  $('conn').hidden = true;
  void resume();
} else {
  showSignIn();
}
