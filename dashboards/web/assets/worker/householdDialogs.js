import { ApiError } from '../api.js';
import { reasonOf } from '../dialogs.js';
import { t } from '../i18n.js';
import { formatTime } from '../time.js';

const $ = (id) => document.getElementById(id);

/**
 * Announce an opening on the spot (POST /api/announcements): a reason and a duration. The door
 * opening inside it is logged, not alerted. `done(announcement)` runs after it was recorded.
 */
export function createAnnounceDialog(api, { done }) {
  const dialog = $('announce-dialog');
  const form = $('announce-form');
  const minutes = $('announce-minutes');
  const error = $('announce-error');
  const send = $('announce-submit');
  let household = null;

  $('announce-cancel').addEventListener('click', () => dialog.close());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      if (!household) return;
      // Left empty: the announce span of the household's grid node (its policy) applies.
      const value = minutes.value.trim() === '' ? undefined : Number(minutes.value);
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 1440)) {
        error.textContent = t('worker.minutesInvalid');
        minutes.setAttribute('aria-invalid', 'true');
        minutes.focus();
        return;
      }
      minutes.removeAttribute('aria-invalid');
      const reason = String(new FormData(form).get('reason') ?? '');
      error.textContent = '';
      send.disabled = true;
      try {
        const announcement = await api.announce(household.id, reason, value);
        dialog.close();
        done(announcement, t('worker.announced', { end: formatTime(announcement.end) }));
      } catch (err) {
        error.textContent = t('worker.announceFailed', { reason: reasonOf(err) });
      } finally {
        send.disabled = false;
      }
    })();
  });

  return {
    open(target) {
      household = target;
      form.reset();
      error.textContent = '';
      minutes.removeAttribute('aria-invalid');
      $('announce-sub').textContent = target.address ?? target.id;
      dialog.showModal();
    },
  };
}

/**
 * The household's reusable QR code (POST /api/households/:id/qr → {url, qrSvg?}) to print and fix
 * to the door. Making one revokes the one before (the one on the door), so the dialog first says
 * so and makes a code only when the worker taps "make a new code": a stray tap revokes nothing.
 */
export function createQrDialog(api) {
  const dialog = $('qr-dialog');
  const status = $('qr-status');
  const warning = $('qr-warning');
  const box = $('qr-box');
  const image = $('qr-image');
  const make = $('qr-make');
  const print = $('qr-print');
  let household = null;
  let ticket = 0;

  $('qr-close').addEventListener('click', () => dialog.close());
  print.addEventListener('click', () => window.print());
  make.addEventListener('click', () => void makeCode());
  dialog.addEventListener('close', () => {
    ticket++;
    document.body.classList.remove('printing-qr');
  });

  async function makeCode() {
    if (!household) return;
    const mine = ++ticket;
    const address = household.address ?? household.id;
    status.textContent = t('worker.qrMaking');
    make.disabled = true;
    try {
      const answer = await api.residentQr(household.id);
      if (mine !== ticket) return;
      // The SVG goes in as an image: whatever it holds, an <img> runs no script.
      if (answer.qrSvg) {
        image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(answer.qrSvg)}`;
        image.alt = t('worker.qrImage', { address });
        image.hidden = false;
      } else {
        image.removeAttribute('src');
        image.hidden = true;
      }
      $('qr-url').textContent = answer.url;
      box.hidden = false;
      print.hidden = false;
      make.hidden = true;
      warning.hidden = true;
      print.focus();
      status.textContent = '';
    } catch (err) {
      if (mine !== ticket) return;
      make.disabled = false;
      // A server without the QR route answers "no route" (404) or 405: say so, not "failed".
      const missing =
        err instanceof ApiError &&
        (err.status === 405 || (err.status === 404 && /^no route/.test(err.message)));
      status.textContent = missing
        ? t('worker.qrUnavailable')
        : t('worker.qrFailed', { reason: reasonOf(err) });
    }
  }

  return {
    open(target) {
      household = target;
      ticket++;
      $('qr-sub').textContent = target.address ?? target.id;
      status.textContent = '';
      box.hidden = true;
      print.hidden = true;
      make.hidden = false;
      make.disabled = false;
      warning.hidden = false;
      document.body.classList.add('printing-qr');
      dialog.showModal();
    },
  };
}
