/**
 * A real SMPP 3.4 SMSC on loopback for tests, built on the npm `smpp` package's server: it checks the
 * bind's system_id and password (bind_transceiver, §4.1.5), answers enquire_link, records every
 * submit_sm (§4.4.1) with a message_id, and sends deliver_sm (§4.6.1) as delivery receipts (esm_class
 * 0x04, Appendix B text) and as mobile-originated messages from a phone. It can stop and start again on
 * the same port, as an SMSC that is down for a while.
 */
import smpp, { type PDU, type Server, type Session } from 'smpp';
import { freePort } from './serverProcess.ts';

export interface SubmitRecord {
  messageId: string;
  destination: string;
  destTon: number;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** The text of this part, decoded by data_coding. */
  text: string;
  /** The concatenation header (IEI 0x00), if the part has one. */
  concat: { reference: number; total: number; seq: number } | null;
}

export interface Smsc {
  port: number;
  url(systemId?: string, password?: string): string;
  submits: SubmitRecord[];
  binds: Array<{ systemId: string; ok: boolean }>;
  /** Every text sent to `destination`, its parts put back together in order. */
  messagesTo(destination: string): string[];
  receipt(messageId: string, stat: 'DELIVRD' | 'UNDELIV' | 'EXPIRED', err?: string): Promise<number>;
  /** A text from a phone to the service; resolves with the deliver_sm_resp's command_status. */
  mobileOriginated(from: string, text: string): Promise<number>;
  waitForSubmits(n: number, timeoutMs?: number): Promise<SubmitRecord[]>;
  /** Hold submit_sm_resp back (a slow SMSC) until `release`; or answer every submit_sm with `status`. */
  hold(on: boolean): void;
  release(): void;
  answerWith(status: number): void;
  /** Answer enquire_link or stay silent (a link that died without a FIN). */
  answerEnquireLink(on: boolean): void;
  /** Drop every connection, as an SMSC restart does. */
  dropSessions(): void;
  /** submit_sm received and not answered yet, now and at most. */
  readonly outstanding: { now: number; max: number };
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmsc(opts: { systemId: string; password: string; port?: number }): Promise<Smsc> {
  const port = opts.port ?? (await freePort());
  const submits: SubmitRecord[] = [];
  const binds: Smsc['binds'] = [];
  let server: Server | null = null;
  let nextId = 0x5a000;
  const bound = new Set<Session>();
  let holding = false;
  let status = 0;
  let enquireLinkAnswered = true;
  const held: Array<() => void> = [];
  const outstanding = { now: 0, max: 0 };

  const onSession = (session: Session) => {
    session.on('error', () => {});
    session.on('bind_transceiver', (pdu: PDU) => {
      const ok = pdu.system_id === opts.systemId && pdu.password === opts.password;
      binds.push({ systemId: String(pdu.system_id), ok });
      if (!ok) {
        session.send(pdu.response({ command_status: 0x0e })); // ESME_RINVPASWD
        session.close();
        return;
      }
      bound.add(session);
      session.on('close', () => bound.delete(session));
      session.send(pdu.response({ system_id: 'loopback-smsc' }));
    });
    session.on('enquire_link', (pdu: PDU) => {
      if (enquireLinkAnswered) session.send(pdu.response());
    });
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('submit_sm', (pdu: PDU) => {
      if (!bound.has(session)) {
        session.send(pdu.response({ command_status: 0x04 })); // ESME_RINVBNDSTS
        return;
      }
      const messageId = (nextId++).toString(16);
      // node-smpp decodes short_message by data_coding into { message, udh } (udh: IEI, IEDL, data…).
      const sm = pdu.short_message as { message: string; udh?: Buffer[] };
      const ie = sm.udh?.find((u) => u[0] === 0x00);
      submits.push({
        messageId,
        destination: String(pdu.destination_addr),
        destTon: Number(pdu.dest_addr_ton),
        dataCoding: Number(pdu.data_coding),
        esmClass: Number(pdu.esm_class),
        registeredDelivery: Number(pdu.registered_delivery),
        text: sm.message,
        concat: ie ? { reference: ie[2] ?? 0, total: ie[3] ?? 1, seq: ie[4] ?? 1 } : null,
      });
      outstanding.now += 1;
      outstanding.max = Math.max(outstanding.max, outstanding.now);
      const answer = () => {
        outstanding.now -= 1;
        session.send(
          status === 0 ? pdu.response({ message_id: messageId }) : pdu.response({ command_status: status }),
        );
      };
      if (holding) held.push(answer);
      else answer();
    });
  };

  const deliver = (options: Record<string, unknown>): Promise<number> =>
    new Promise((resolve, reject) => {
      const session = [...bound][0];
      if (!session) return reject(new Error('no bound ESME to deliver to'));
      session.deliver_sm(options, (resp) => resolve(resp.command_status));
    });

  const smsc: Smsc = {
    port,
    url: (systemId = opts.systemId, password = opts.password) =>
      `smpp://${encodeURIComponent(systemId)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    submits,
    binds,
    messagesTo(destination) {
      const mine = submits.filter((s) => s.destination === destination);
      const out: string[] = [];
      const groups = new Map<number, SubmitRecord[]>();
      for (const s of mine) {
        if (!s.concat) out.push(s.text);
        else groups.set(s.concat.reference, [...(groups.get(s.concat.reference) ?? []), s]);
      }
      for (const parts of groups.values()) {
        const total = parts[0]?.concat?.total ?? 0;
        const bySeq = new Map(parts.map((p) => [p.concat?.seq ?? 0, p.text]));
        if (bySeq.size !== total) continue;
        out.push(Array.from({ length: total }, (_, i) => bySeq.get(i + 1) ?? '').join(''));
      }
      return out;
    },
    receipt(messageId, stat, err = stat === 'DELIVRD' ? '000' : '001') {
      const sub = submits.find((s) => s.messageId === messageId);
      return deliver({
        source_addr: sub?.destination ?? '',
        destination_addr: 'sealwatch',
        esm_class: 0x04,
        short_message: `id:${messageId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:2612050803 done date:2612050804 stat:${stat} err:${err} text:`,
      });
    },
    mobileOriginated(from, text) {
      return deliver({
        source_addr: from,
        destination_addr: '106900001234',
        esm_class: 0,
        short_message: text,
      });
    },
    async waitForSubmits(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (submits.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} submit_sm, got ${submits.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return submits;
    },
    hold(on) {
      holding = on;
    },
    release() {
      for (const answer of held.splice(0)) answer();
    },
    answerWith(s) {
      status = s;
    },
    answerEnquireLink(on) {
      enquireLinkAnswered = on;
    },
    dropSessions() {
      for (const session of server?.sessions ?? []) session.destroy();
      bound.clear();
    },
    outstanding,
    async start() {
      const s = smpp.createServer({}, onSession);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      for (const session of s.sessions) session.destroy();
      bound.clear();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await smsc.start();
  return smsc;
}
