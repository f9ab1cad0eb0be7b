import { ApiError } from './api.js';
import { t } from './i18n.js';

/**
 * A person's sign-in with user name and password, shared by every page that people sign in to (the
 * live page, the grid worker's phone view): the form `#login-form` with `#login-username`,
 * `#login-password`, `#login-submit` and `#login-error`. The session is an HttpOnly cookie the
 * scripts never see; what they keep is the CSRF token GET /api/me (or the sign-in) answers.
 */

const $ = (id) => document.getElementById(id);

/** What a refused sign-in tells the person; the same for an unknown name and a wrong password. */
export function loginProblem(err) {
  const status = err instanceof ApiError ? err.status : 0;
  if (status === 401) return { key: /disabled/.test(err.message) ? 'login.disabled' : 'login.wrong', status };
  if (status === 429) return { key: 'login.throttled', status, seconds: err.retryAfter ?? 60 };
  if (status === 0) return { key: 'signin.unreachable', status };
  return { key: 'signin.failed', status };
}

/** Shows `problem` ({key, status?, seconds?} or null) in `element`, remembering it for a change of language. */
export function showProblemIn(element, problem) {
  element.dataset.key = problem?.key ?? '';
  element.dataset.status = String(problem?.status ?? '');
  element.dataset.seconds = String(problem?.seconds ?? '');
  element.textContent = problem ? t(problem.key, { status: problem.status, seconds: problem.seconds }) : '';
}

/** Says the shown problem again in the language now chosen. */
export function relabelProblem(element) {
  const { key, status, seconds } = element.dataset;
  if (key) element.textContent = t(key, { status, seconds });
}

/**
 * Wires the sign-in form. `signedIn(me)` gets the answer of POST /api/session (with its csrfToken)
 * and answers a problem to show, or null when the page opened.
 */
export function bindLoginForm({ api, signedIn }) {
  const error = $('login-error');
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const username = $('login-username').value.trim();
      const password = $('login-password').value;
      if (!username || !password) {
        showProblemIn(error, { key: 'login.empty' });
        return;
      }
      const submit = $('login-submit');
      submit.disabled = true;
      showProblemIn(error, { key: 'signin.checking' });
      let me;
      try {
        me = await api.signIn(username, password);
      } catch (err) {
        submit.disabled = false;
        showProblemIn(error, loginProblem(err));
        $('login-password').select();
        return;
      }
      $('login-password').value = '';
      const problem = await signedIn(me);
      submit.disabled = false;
      showProblemIn(error, problem);
    })();
  });
}

/**
 * A person signed in before (the cookie): GET /api/me says who, with the CSRF token. Answers
 * `{ me }`, or `{ problem }` (null when simply nobody is signed in).
 */
export async function resumeSession(api) {
  try {
    const me = await api.me();
    if (me?.kind !== 'user') return { problem: null };
    return { me };
  } catch (err) {
    const status = err instanceof ApiError ? err.status : 0;
    return { problem: status === 401 ? null : loginProblem(err) };
  }
}
