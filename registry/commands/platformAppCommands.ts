import { randomBytes } from 'node:crypto';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import {
  type CreatePlatformApp,
  type PlatformApp,
  type PlatformAppRow,
  publicPlatformApp,
} from '../platformAppSchemas.ts';
import type { CommandContext } from './commandContext.ts';

/** What the platform application commands write; each change with its audit entry, in one transaction. */
export interface PlatformAppStore {
  insertPlatformApp(app: PlatformAppRow, audit: AuditEntry): Promise<void>;
  deletePlatformApp(id: string, audit: AuditEntry): Promise<void>;
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
  async create(input: CreatePlatformApp, actor: Actor): Promise<{ app: PlatformApp; token: string }> {
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
    const app = publicPlatformApp(row);
    // The entry holds the public view: never the token.
    await store.insertPlatformApp(row, auditEntry(clock.now(), actor, this.change(app, 'create'), null, app));
    index.putPlatformApp(row);
    changes.changed('platformApp', row.id);
    return { app, token };
  }

  /** The platform's pushes under this application are refused from now on. */
  async remove(id: string, actor: Actor): Promise<PlatformApp> {
    const { index, store, changes, clock } = this.ctx;
    const app = index.platformApp(id);
    if (!app) throw notFound('platform application', id);
    await store.deletePlatformApp(id, auditEntry(clock.now(), actor, this.change(app, 'delete'), app, null));
    index.removePlatformApp(id);
    changes.changed('platformApp', id, true);
    return app;
  }

  /** The entry's grid node holds every sensor of the application: scoped readers see it as they see the app. */
  private change(app: PlatformApp, action: string) {
    const { index } = this.ctx;
    const gridIds = app.sensorIds.flatMap((id) => index.placement(id)?.gridId ?? []);
    return { entity: 'platformApp', entityId: app.id, action, gridId: index.tree.commonAncestor(gridIds) };
  }
}
