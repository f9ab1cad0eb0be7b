import { conflict, invalid } from '../../core/errors.ts';
import type { CreateGateway, Gateway } from '../schemas.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import type { GatewayRow } from '../storedRecords.ts';
import type { CommandContext } from './commandContext.ts';

/** What the gateway commands write. */
export interface GatewayStore {
  /** The gateway and its sensor memberships, in one transaction. */
  insertGateway(gateway: GatewayRow): Promise<void>;
}

/** Gateways that relay the messages of several sensors under one login. */
export class GatewayCommands {
  constructor(private readonly ctx: CommandContext<GatewayStore>) {}

  /** Returns the gateway and its device secret; the secret is kept only as a hash. */
  async create(input: CreateGateway): Promise<{ gateway: Gateway; secret: string }> {
    const { index, store, changes, clock } = this.ctx;
    if (index.gateway(input.id) || index.sensor(input.id)) {
      throw conflict(`gateway '${input.id}' already exists`, { id: input.id });
    }
    const unknown = input.sensorIds.filter((id) => !index.sensor(id));
    if (unknown.length > 0) throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
    const secret = newSecret();
    const row: GatewayRow = {
      id: input.id,
      name: input.name,
      sensorIds: [...new Set(input.sensorIds)],
      createdAt: clock.now(),
      secretHash: await hashSecret(secret),
    };
    await store.insertGateway(row);
    index.putGateway(row);
    changes.changed('gateway', row.id);
    const { secretHash: _, ...gateway } = row;
    return { gateway, secret };
  }
}
