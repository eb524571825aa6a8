// SMTP test tools: a real smtp-server on a free port that keeps every message it accepts, a
// recording tap (the exact bytes a server was sent), a raw SMTP client that reads whole
// replies, and a tiny CHUNKING server (smtp-server has no BDAT).
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { startTcpServer, type TestServer } from './sockets.js';

export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  /** The message as the server decoded it (dot-stuffing removed). */
  readonly content: Buffer;
}

export interface TestSmtpServer {
  readonly server: SMTPServer;
  readonly port: number;
  readonly address: string;
  /** Messages accepted so far, in order. */
  readonly mails: ReceivedMail[];
  /** MAIL FROM addresses the server saw (accepted or not), in order. */
  readonly mailFroms: string[];
}

/**
 * smtp-server on a free port: any sender, AUTH optional (user `user`, password `secret`),
 * STARTTLS off unless `options` says otherwise. Closed when the test ends.
 */
export async function startSmtpServer(t: TestContext, options: SMTPServerOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const mailFroms: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    name: 'mx.test',
    size: 64 * 1024 * 1024,
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      if (auth.username === 'user' && auth.password === 'secret') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onMailFrom(address, _session, callback) {
      mailFroms.push(address.address);
      callback();
    },
    onData(stream, session, callback) {
      const parts: Buffer[] = [];
      stream.on('data', (part: Buffer) => parts.push(part));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((rcpt) => rcpt.address), content: Buffer.concat(parts) });
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port, address: `127.0.0.1:${port}`, mails, mailFroms };
}

/** A forwarder in front of `port` that records every byte sent towards it. */
export async function startRecordingTap(t: TestContext, port: number): Promise<TestServer & { sent(): Buffer }> {
  const parts: Buffer[] = [];
  const tap = await startTcpServer(t, (socket) => {
    const upstream = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    upstream.on('error', () => socket.destroy());
    socket.on('data', (data: Buffer) => parts.push(data));
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  });
  return { ...tap, sent: () => Buffer.concat(parts) };
}

/** A raw SMTP client: writes bytes, reads whole replies (multi-line included). */
export class SmtpWire {
  private buffered = Buffer.alloc(0);
  private total = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Resolves when the server side closed the connection. */
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      this.total = Buffer.concat([this.total, data]);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.ended = true;
        this.waiter?.();
        resolve();
      };
      socket.once('end', done);
      socket.once('close', done);
      socket.once('error', done);
    });
  }

  /** Everything received so far. */
  received(): Buffer {
    return this.total;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next whole reply (`250-...` lines up to `250 ...`); rejects if the connection closes first. */
  async reply(): Promise<string> {
    for (;;) {
      const end = replyEnd(this.buffered);
      if (end !== -1) {
        const reply = this.buffered.subarray(0, end).toString('latin1');
        this.buffered = this.buffered.subarray(end);
        return reply;
      }
      if (this.ended) throw new Error(`connection closed; unanswered bytes: ${JSON.stringify(this.buffered.toString('latin1'))}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Sends `line` (CRLF added) and returns its reply. */
  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }
}

/** Where the first complete reply in `data` ends, or -1. */
function replyEnd(data: Buffer): number {
  let start = 0;
  for (let lf = data.indexOf(0x0a); lf !== -1; lf = data.indexOf(0x0a, start)) {
    if (data[start + 3] !== 0x2d) return lf + 1;
    start = lf + 1;
  }
  return -1;
}

export async function smtpWire(t: TestContext, port: number): Promise<SmtpWire> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  t.after(() => socket.destroy());
  return new SmtpWire(socket);
}

/**
 * A minimal ESMTP server with CHUNKING: it greets, answers EHLO, MAIL, RCPT, `BDAT n [LAST]`
 * (reading exactly n bytes) and QUIT, and records every byte it was sent.
 */
export async function startChunkingServer(t: TestContext): Promise<TestServer & { sent(): Buffer; chunks: Buffer[] }> {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  const server = await startTcpServer(t, (socket) => {
    let pending = Buffer.alloc(0);
    let chunkLeft = -1;
    let chunkParts: Buffer[] = [];
    socket.write('220 chunky.test ESMTP\r\n');
    socket.on('data', (data: Buffer) => {
      parts.push(data);
      pending = Buffer.concat([pending, data]);
      for (;;) {
        if (chunkLeft >= 0) {
          const take = Math.min(chunkLeft, pending.length);
          chunkParts.push(pending.subarray(0, take));
          pending = pending.subarray(take);
          chunkLeft -= take;
          if (chunkLeft > 0) return;
          chunks.push(Buffer.concat(chunkParts));
          chunkParts = [];
          chunkLeft = -1;
          socket.write(`250 2.0.0 chunk ${chunks.length} ok\r\n`);
          continue;
        }
        const lf = pending.indexOf(0x0a);
        if (lf === -1) return;
        const line = pending.subarray(0, lf + 1).toString('latin1').trim();
        pending = pending.subarray(lf + 1);
        const bdat = /^BDAT (\d+)/i.exec(line);
        if (bdat !== null) chunkLeft = Number(bdat[1]);
        else if (/^EHLO/i.test(line)) socket.write('250-chunky.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n');
        else if (/^QUIT/i.test(line)) socket.end('221 2.0.0 bye\r\n');
        else socket.write('250 2.1.0 ok\r\n');
      }
    });
  });
  return { ...server, sent: () => Buffer.concat(parts), chunks };
}
