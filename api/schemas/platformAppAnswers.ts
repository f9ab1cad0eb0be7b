/**
 * What the platform application routes answer. Only these fields leave the service: the token can
 * never slip into a list or a delete answer by being spread from a record.
 */
import { z } from 'zod';
import { PLATFORMS } from '../../registry/platformAppSchemas.ts';
import { isoTime } from './common.ts';

export const platformAppAnswer = z.object({
  id: z.string(),
  platform: z.enum(PLATFORMS),
  name: z.string(),
  sensorIds: z.array(z.string()),
  devices: z.record(z.string(), z.string()).meta({ description: 'platform device id → sensor id' }),
  createdAt: isoTime,
});

export const newPlatformAppAnswer = platformAppAnswer.extend({
  token: z.string().meta({
    description:
      "the application's token, shown only in this answer: OneNET's push token, or CTWing's ?token= in the push URL",
  }),
});
