import './adminStrings.js';
import { ApiError, createApi } from '../api.js';
import { el } from '../dom.js';
import { getLang, initLang, LANGS, onLangChange, setLang, t, translateStatic } from '../i18n.js';
import { createSignInForm, signInRefusal } from '../signInForm.js';
import { initTimeZone } from '../time.js';
import { auditScreen } from './audit.js';
import { crudScreen } from './crud.js';
import { csvScreen } from './csvUpload.js';
import { ENTITIES } from './entities.js';
import { policyScreen } from './policy.js';
import { createRefs } from './refs.js';

/**
 * The administrator's page (/admin): a person signed in with the session cookie, the CSRF token
 * of GET /api/me sent with every change. One screen at a time, chosen by the address's #hash so a
 * screen can be bookmarked and the browser's back button works.
 */
const $ = (id) => document.getElementById(id);
const SCREENS =
  'grid workers households sensors quarantines windows policies import users tokens audit'.split(' ');
const OTHER_SCREENS = { policies: policyScreen, import: csvScreen, audit: auditScreen };

initLang();
initTimeZone();

let csrfToken = null;
let me = null;
const api = createApi(
  () => null,
  () => csrfToken,
);
const refs = createRefs(api);
const signIn = createSignInForm({ api, onSignedIn: (who) => void enter(who), title: 'admin.signIn' });
$('signin').append(signIn.element);

function showSignIn(problem = null) {
  me = null;
  csrfToken = null;
  $('admin').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  $('not-admin').hidden = true;
  $('signin').hidden = false;
  signIn.reset(problem);
}

/** The session ended under us (expired, or an admin ended it): sign in again, saying so. */
const expired = () => showSignIn({ key: 'login.expired' });

function enter(who) {
  me = who;
  csrfToken = who.csrfToken ?? null;
  $('signin').hidden = true;
  $('sign-out').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = who.gridName ? `${who.name} · ${who.gridName}` : who.name;
  if (who.role !== 'admin') {
    $('not-admin').textContent = t('admin.notAdmin', { name: who.name });
    $('not-admin').hidden = false;
    return;
  }
  $('admin').hidden = false;
  show();
}

const current = () => {
  const name = location.hash.slice(1);
  return SCREENS.includes(name) ? name : SCREENS[0];
};

function renderTabs(active) {
  $('admin-tabs').replaceChildren(
    ...SCREENS.map((name) =>
      el(
        'li',
        {},
        el('a', {
          href: `#${name}`,
          class: 'btn admin-tab',
          'aria-current': name === active ? 'page' : null,
          text: t(`screen.${name}`),
        }),
      ),
    ),
  );
}

function show({ focus = false } = {}) {
  if (me === null || me.role !== 'admin') return;
  const name = current();
  renderTabs(name);
  $('screen-title').textContent = t(`screen.${name}`);
  document.title = `${t(`screen.${name}`)} · ${t('admin.title')}`;
  const root = $('screen');
  root.dataset.screen = name;
  const context = { api, refs, root, expired };
  if (ENTITIES[name]) void crudScreen(ENTITIES[name], context).reload();
  else OTHER_SCREENS[name](context);
  if (focus) $('screen-title').focus();
}

window.addEventListener('hashchange', () => show({ focus: true }));

$('sign-out').addEventListener('click', () => {
  void (async () => {
    await api.signOut().catch(() => {});
    // A fresh page holds nothing of the last person's data.
    location.replace(location.pathname);
  })();
});

function markLanguage() {
  for (const button of document.querySelectorAll('.lang-btn')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === getLang()));
  }
}

/** Each language named in itself, so a person who cannot read the other one still finds theirs. */
const OWN_NAME = { 'zh-CN': '中文', en: 'English' };
$('lang').append(
  ...LANGS.map((lang) =>
    el('button', {
      type: 'button',
      class: 'lang-btn',
      lang,
      dataset: { lang },
      text: OWN_NAME[lang],
      onclick: () => setLang(lang),
    }),
  ),
);

onLangChange(() => {
  relabel();
  signIn.relabel();
  if (me) enter(me);
});

function relabel() {
  translateStatic();
  document.title = t('admin.title');
  markLanguage();
}

relabel();

/** Signed in before (the session cookie)? GET /api/me says who, with the CSRF token. */
try {
  const who = await api.me();
  if (who?.kind === 'user') enter(who);
  else showSignIn();
} catch (err) {
  const status = err instanceof ApiError ? err.status : 0;
  showSignIn(status === 401 ? null : signInRefusal(err));
}
