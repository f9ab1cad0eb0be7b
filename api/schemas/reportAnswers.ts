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

/** GET /api/reports/daily?format=json: the report (alerting/dailyReport.ts DailyReport) and where it came from. */
export const dailyReportJsonAnswer = z.object({
  day: z.string().meta({ description: 'the local day reported on, YYYY-MM-DD' }),
  generatedAt: isoTime,
  archived: z.boolean().meta({ description: 'true: as the scheduled run archived it; false: computed now' }),
  report: z
    .object({
      rootId: z.string(),
      rootPath: z.array(z.string()),
      sealedHouseholds: z.number().int(),
      offlineSensors: z.number().int(),
      byChild: z.array(z.looseObject({ nodeId: z.string(), name: z.string() })),
    })
    .loose()
    .meta({ description: 'the numbers of the node’s subtree; byChild: one row per child node' }),
});
