import { randomBytes } from 'node:crypto';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import {
  type CreatePlatformApp,
  type PlatformApp,
  type PlatformAppRow,
  publicPlatformApp,
} from '../platformAppSchemas.ts';
import type { CommandContext } from './commandContext.ts';

/** What the platform application commands write. */
export interface PlatformAppStore {
  insertPlatformApp(app: PlatformAppRow): Promise<void>;
  deletePlatformApp(id: string): Promise<void>;
}

/**
 * 128 random bits as 32 hex digits: OneNET's push page takes a token of letters and digits of at
 * most 32 characters, and CTWing's subscription URL carries it in its query unescaped.
 */
const newPlatformToken = (): string => randomBytes(16).toString('hex');

/** Carrier platform applications: the credentials NB-IoT platforms push our seals' messages under. */
export class PlatformAppCommands {
  constructor(private readonly ctx: CommandContext<PlatformAppStore>) {}

  /** Returns the application and its token; the token is never shown again. */
  async create(input: CreatePlatformApp): Promise<{ app: PlatformApp; token: string }> {
    const { index, store, changes, clock } = this.ctx;
    if (index.platformApp(input.id)) {
      throw conflict(`platform application '${input.id}' already exists`, { id: input.id });
    }
    const devices = input.devices ?? {};
    const sensorIds = [...new Set([...input.sensorIds, ...Object.values(devices)])];
    const unknown = sensorIds.filter((id) => !index.sensor(id));
    if (unknown.length > 0) throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
    const token = newPlatformToken();
    const row: PlatformAppRow = {
      id: input.id,
      platform: input.platform,
      name: input.name,
      sensorIds,
      devices,
      createdAt: clock.now(),
      token,
    };
    await store.insertPlatformApp(row);
    index.putPlatformApp(row);
    changes.changed('platformApp', row.id);
    return { app: publicPlatformApp(row), token };
  }

  /** The platform's pushes under this application are refused from now on. */
  async remove(id: string): Promise<void> {
    const { index, store, changes } = this.ctx;
    if (!index.platformApp(id)) throw notFound('platform application', id);
    await store.deletePlatformApp(id);
    index.removePlatformApp(id);
    changes.changed('platformApp', id, true);
  }
}
