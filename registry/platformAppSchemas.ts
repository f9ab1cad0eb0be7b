/**
 * A carrier platform application (China Telecom CTWing/AEP, China Mobile OneNET): the credential
 * an NB-IoT platform pushes our seals' messages under, as a gateway's is for an MQTT connection.
 * It speaks for a listed set of sensors; the platform names each device by its own id, which maps
 * to a sensor id either explicitly (`devices`) or by being the sensor id itself.
 */
import { z } from 'zod';
import { sensorIdSchema } from '../contract/topics.ts';

export const PLATFORMS = ['ctwing', 'onenet'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** A device id as the platforms write it (CTWing: 32 hex or product id + IMEI; OneNET: a number). */
const platformDeviceId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'a platform device id is 1–128 letters, digits, _ . : -');

export const createPlatformAppBody = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id must match ^[A-Za-z0-9_-]{1,64}$'),
  platform: z.enum(PLATFORMS),
  name: z.string().min(1).max(200),
  /** The sensors this application may speak for. */
  sensorIds: z.array(sensorIdSchema).max(10_000),
  /** Platform device id → sensor id, where the platform's id is not the sensor id itself. */
  devices: z.record(platformDeviceId, sensorIdSchema).optional(),
});
export type CreatePlatformApp = z.infer<typeof createPlatformAppBody>;

export interface PlatformApp {
  id: string;
  platform: Platform;
  name: string;
  sensorIds: string[];
  devices: Record<string, string>;
  createdAt: number;
}

/**
 * As the stores keep it. The token is kept as it was issued, not hashed: the platforms sign with it
 * (OneNET: MD5 over token + nonce + msg), so the check needs it in plaintext. It never leaves the
 * registry after the create answer: views, lists, logs and errors get PlatformApp only.
 */
export interface PlatformAppRow extends PlatformApp {
  token: string;
}

export function publicPlatformApp(row: PlatformAppRow): PlatformApp {
  const { token: _, ...app } = row;
  return app;
}

/** The sensor a platform device id speaks as, when the application may speak for it. */
export function sensorForDevice(app: PlatformApp, deviceId: string): string | undefined {
  const sensorId = app.devices[deviceId] ?? deviceId;
  return app.sensorIds.includes(sensorId) ? sensorId : undefined;
}
