import { el } from './dom.js';
import { onLangChange, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const RECENT = 10;
const FORMATS = [
  ['xlsx', 'reports.xlsx'],
  ['csv', 'reports.csv'],
  ['json', 'reports.json'],
];

/**
 * The archived daily reports (日报) in the caller's scope, newest first, each with its files. A
 * download goes through fetch, so a pasted token (bearer header) works as well as the session
 * cookie; the browser then saves the file under the server's name.
 */
export function showReports(getToken) {
  let items = [];
  const headers = () => {
    const token = getToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  };

  async function download(event, href) {
    event.preventDefault();
    const res = await fetch(href, { headers: headers(), credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return;
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'report';
    const url = URL.createObjectURL(await res.blob());
    el('a', { href: url, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  function render() {
    $('reports-empty').hidden = items.length > 0;
    $('report-list').replaceChildren(
      ...items.map((r) =>
        el(
          'li',
          { class: 'report-row' },
          el('span', { class: 'report-what' }, el('b', { text: r.gridName }), ` ${r.day}`),
          el(
            'span',
            { class: 'report-files' },
            FORMATS.map(([format, key]) =>
              el('a', {
                class: 'btn btn-quiet report-file',
                href: r.links[format],
                text: t(key),
                onclick: (event) => download(event, r.links[format]),
              }),
            ),
          ),
        ),
      ),
    );
  }

  fetch(`/api/reports?limit=${RECENT}`, { headers: headers(), credentials: 'same-origin', cache: 'no-store' })
    .then((res) => (res.ok ? res.json() : { items: [] }))
    .then((page) => {
      items = page.items ?? [];
      render();
    })
    .catch(() => render());
  onLangChange(render);
}
