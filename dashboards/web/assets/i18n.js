import { STRINGS } from './strings.js';

const LANG_KEY = 'sealwatch.lang';
export const LANGS = ['zh-CN', 'en'];
let lang = 'zh-CN';
const listeners = new Set();

function normalise(value) {
  if (!value) return null;
  const v = String(value).toLowerCase();
  if (v.startsWith('zh')) return 'zh-CN';
  if (v.startsWith('en')) return 'en';
  return null;
}

/** `?lang=` wins, then the stored choice, then the browser's language; Chinese otherwise. */
export function initLang(search = location.search) {
  const fromUrl = normalise(new URLSearchParams(search).get('lang'));
  let stored = null;
  try {
    stored = normalise(localStorage.getItem(LANG_KEY));
  } catch {
    // Storage can be disabled; the page still works in the default language.
  }
  lang = fromUrl ?? stored ?? normalise(navigator.language) ?? 'zh-CN';
  document.documentElement.lang = lang;
  return lang;
}

export function getLang() {
  return lang;
}

export function setLang(next) {
  const value = normalise(next) ?? 'zh-CN';
  try {
    localStorage.setItem(LANG_KEY, value);
  } catch {
    // Not stored: the choice lasts for this page only.
  }
  if (value === lang) return;
  lang = value;
  document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** The string for `key` in the current language; values are inserted as plain text. */
export function t(key, values = {}) {
  const template = STRINGS[lang]?.[key] ?? STRINGS['zh-CN'][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

/** Fills `data-i18n` (text) and `data-i18n-attr="attr:key;…"` in the static markup. */
export function translateStatic(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
  document.title = t('app.title');
}
