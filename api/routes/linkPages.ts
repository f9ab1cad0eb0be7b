import type { OtherAnswer } from '../routeTable.ts';

const page = (description: string): OtherAnswer => ({
  description,
  answer: { contentType: 'text/html', description },
});

/**
 * What the one-tap pages (/ack/:token, /announce/:token) answer besides success: a page in the
 * recipient's language, never the API's JSON error, since a person opened the link.
 */
export function linkPageAnswers({ alertResolved }: { alertResolved: boolean }): Record<number, OtherAnswer> {
  const answers: Record<number, OtherAnswer> = {
    404: page('a page: the link is unknown or does not verify'),
    410: page('a page: the link expired or was already used'),
  };
  if (alertResolved) answers[409] = page('a page: the alert is already resolved');
  return answers;
}
