import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * A secret the API shows once (a sensor's device secret, a token): shown here with a copy button
 * until the person closes it. It is kept nowhere else, so a reload or another screen loses it, as
 * the API does.
 */
export function secretBox(items, onClose) {
  const status = el('p', { class: 'small', role: 'status' });
  const box = el(
    'section',
    { class: 'secret-box', 'aria-label': t('secret.title', { what: items[0]?.what ?? '' }) },
    items.map(({ what, value }) => {
      const code = el('code', { class: 'secret-value', text: value });
      return el(
        'div',
        { class: 'secret-item' },
        el('p', { class: 'secret-title', text: t('secret.title', { what }) }),
        el(
          'div',
          { class: 'secret-row' },
          code,
          el('button', {
            type: 'button',
            class: 'btn btn-primary',
            text: t('secret.copy'),
            onclick: () => void copy(value, code, status),
          }),
        ),
      );
    }),
    status,
    el('button', {
      type: 'button',
      class: 'btn',
      text: t('secret.done'),
      onclick: () => {
        box.remove();
        onClose?.();
      },
    }),
  );
  return box;
}

async function copy(value, code, status) {
  try {
    await navigator.clipboard.writeText(value);
    status.textContent = t('secret.copied');
  } catch {
    // No clipboard (plain http, or refused): select it so Ctrl+C works.
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    status.textContent = t('secret.copyFailed');
  }
}
