import { z } from 'zod';
import {
  nativeEventSchema,
  nativeHeartbeatSchema,
  parseSealTopic,
  zigbee2mqttTopic,
} from '../../contract/topics.ts';

/**
 * What a technician must see from a freshly installed seal before leaving the door: a heartbeat, an open and a
 * close after that open. Fed every message the service client receives; pure, so it is tested without a broker.
 */
export type Requirement = 'heartbeat' | 'open' | 'close';
export const REQUIREMENTS: readonly Requirement[] = ['heartbeat', 'open', 'close'];

export interface Observation {
  /** One line for the technician. */
  text: string;
  satisfied: Requirement[];
  problem: boolean;
}

const zigbeeContactSchema = z.looseObject({
  contact: z.boolean(),
  battery: z.number().optional(),
  linkquality: z.number().optional(),
  tamper: z.boolean().optional(),
});

const issues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');

export class CommissionChecklist {
  readonly #sensorId: string;
  readonly #zigbeeTopic: string;
  readonly #shellyPrefix: string;
  readonly #seen = new Set<Requirement>();

  /** `friendlyName` is the Zigbee2MQTT friendly name or the Shelly device id the registry binds. */
  constructor(sensorId: string, friendlyName = sensorId) {
    this.#sensorId = sensorId;
    this.#zigbeeTopic = zigbee2mqttTopic(friendlyName);
    this.#shellyPrefix = `shellies/${friendlyName}/`;
  }

  get passed(): boolean {
    return REQUIREMENTS.every((r) => this.#seen.has(r));
  }

  get missing(): Requirement[] {
    return REQUIREMENTS.filter((r) => !this.#seen.has(r));
  }

  /** Returns null for messages about other devices. */
  observe(topic: string, payload: Buffer | string, retained = false): Observation | null {
    const text = payload.toString();
    if (topic === this.#zigbeeTopic) return this.#zigbee(text);
    if (topic.startsWith(this.#shellyPrefix))
      return this.#shelly(topic.slice(this.#shellyPrefix.length), text.trim(), retained);
    const parsed = parseSealTopic(topic);
    if (!parsed || parsed.sensorId !== this.#sensorId) return null;
    switch (parsed.channel) {
      case 'status':
        return {
          text: `status ${text}${retained ? ' (retained, from before)' : ''}`,
          satisfied: [],
          problem: false,
        };
      case 'heartbeat':
        return this.#heartbeat(text, retained);
      case 'event':
        return this.#event(text, retained);
      default:
        return null;
    }
  }

  #json(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  #record(...found: Requirement[]): Requirement[] {
    const satisfied: Requirement[] = [];
    for (const r of found) {
      // A close only proves the contact works after the door was seen open.
      if (r === 'close' && !this.#seen.has('open')) continue;
      if (!this.#seen.has(r)) satisfied.push(r);
      this.#seen.add(r);
    }
    return satisfied;
  }

  #heartbeat(text: string, retained: boolean): Observation {
    const result = nativeHeartbeatSchema.safeParse(this.#json(text));
    if (!result.success)
      return {
        text: `INVALID heartbeat (${issues(result.error)}): ${text.slice(0, 200)}`,
        satisfied: [],
        problem: true,
      };
    const h = result.data;
    const low = h.battery < 20 ? ' — LOW BATTERY, replace before leaving' : '';
    return {
      text: `heartbeat seq ${h.seq}, door ${h.door}, battery ${h.battery}%, rssi ${h.rssi} dBm${low}`,
      satisfied: retained ? [] : this.#record('heartbeat'),
      problem: low !== '',
    };
  }

  #event(text: string, retained: boolean): Observation {
    const result = nativeEventSchema.safeParse(this.#json(text));
    if (!result.success)
      return {
        text: `INVALID event (${issues(result.error)}): ${text.slice(0, 200)}`,
        satisfied: [],
        problem: true,
      };
    const e = result.data;
    const satisfied = retained || e.type === 'tamper' ? [] : this.#record(e.type);
    const note =
      e.type === 'close' && !this.#seen.has('open') ? ' (before any open: open the door first)' : '';
    return { text: `event ${e.type}, seq ${e.seq}${note}`, satisfied, problem: e.type === 'tamper' };
  }

  /** Shelly Door/Window 2 (Gen1): `sensor/state` open|close, `sensor/battery` on every wake-up, `online`. */
  #shelly(channel: string, text: string, retained: boolean): Observation | null {
    const from = retained ? ' (retained, from before)' : '';
    if (channel === 'online') return { text: `shelly online ${text}${from}`, satisfied: [], problem: false };
    if (channel === 'sensor/state') {
      if (text !== 'open' && text !== 'close')
        return { text: `INVALID shelly sensor/state: ${text.slice(0, 200)}`, satisfied: [], problem: true };
      return {
        text: `shelly door ${text === 'open' ? 'OPEN' : 'closed'}${from}`,
        satisfied: retained ? [] : this.#record(text),
        problem: false,
      };
    }
    if (channel === 'sensor/battery') {
      const battery = Number(text);
      if (text === '' || !Number.isFinite(battery) || battery < 0 || battery > 100)
        return { text: `INVALID shelly sensor/battery: ${text.slice(0, 200)}`, satisfied: [], problem: true };
      const low = battery < 20 ? ' — LOW BATTERY, replace before leaving' : '';
      // The battery report comes with every wake-up: the decoder counts it as the heartbeat.
      return {
        text: `shelly battery ${battery}%${low}${from}`,
        satisfied: retained ? [] : this.#record('heartbeat'),
        problem: low !== '',
      };
    }
    return null;
  }

  #zigbee(text: string): Observation {
    const result = zigbeeContactSchema.safeParse(this.#json(text));
    if (!result.success) {
      return {
        text: `INVALID zigbee2mqtt message (${issues(result.error)}): ${text.slice(0, 200)}`,
        satisfied: [],
        problem: true,
      };
    }
    const m = result.data;
    // Every Zigbee2MQTT message counts as a heartbeat; contact false means the door is open.
    const satisfied = this.#record('heartbeat', m.contact ? 'close' : 'open');
    return {
      text: `zigbee2mqtt contact ${m.contact ? 'closed' : 'OPEN'}, battery ${m.battery ?? '?'}%, linkquality ${m.linkquality ?? '?'}${m.tamper ? ', TAMPER' : ''}`,
      satisfied,
      problem: m.tamper === true,
    };
  }
}
