import { z } from 'zod';
import { isoTime, pageOf } from './common.ts';

/** One archived daily report in GET /api/reports; the file itself is at `links`. */
export const archivedReportAnswer = z.object({
  gridId: z.string(),
  gridName: z.string().meta({ description: 'the node’s name; its id when the node was removed' }),
  day: z.string().meta({ description: 'the local day reported on (TZ_LOCAL), YYYY-MM-DD' }),
  generatedAt: isoTime,
  links: z
    .object({ json: z.string(), csv: z.string(), xlsx: z.string() })
    .meta({ description: 'GET /api/reports/daily for this node and day, one per format' }),
});

export const archivedReportsAnswer = pageOf(archivedReportAnswer);
