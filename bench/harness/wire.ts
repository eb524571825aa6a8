// What the load generators send for each protocol, and how they tell a response is complete:
// a counter fed the response byte stream, in whatever chunks it arrives, returns how many
// responses the chunk completed. Small requests only: each answer is a few dozen bytes. A
// protocol whose connections must first log in (postgres) sends an `opening` on each.
import { connect } from 'node:net';

export type ProtocolName = 'tcp' | 'http' | 'redis' | 'memcache' | 'postgres';

/** Counts complete responses in a byte stream; state carries over between chunks. */
export type ResponseCounter = (chunk: Buffer) => number;

export interface Wire {
  readonly protocol: ProtocolName;
  /** Sent once when a connection opens, before the first request; answered like a request (a login). */
  readonly opening?: Buffer;
  /** One small request. */
  readonly request: Buffer;
  createCounter(): ResponseCounter;
}

const LF = 0x0a;
/** The value the redis and memcache backends hold, and the size of a tcp echo message. */
const VALUE = Buffer.from('0123456789abcdef');
const KEY = 'vaurien-bench';

/** tcp echo: a response is as long as its request. */
function fixedLength(size: number): ResponseCounter {
  let carry = 0;
  return (chunk) => {
    const total = carry + chunk.length;
    carry = total % size;
    return Math.floor(total / size);
  };
}

/** RESP2 replies without aggregates: `$n\r\n<n bytes>\r\n`, `$-1\r\n`, or a `+`/`-`/`:` line. */
function redisReplies(): ResponseCounter {
  const START = 0;
  const LINE = 1;
  const LENGTH = 2;
  const BODY = 3;
  let state = START;
  let length = 0;
  let negative = false;
  let skip = 0;
  return (chunk) => {
    let complete = 0;
    let at = 0;
    while (at < chunk.length) {
      if (state === START) {
        const type = chunk[at++];
        if (type === 0x24 /* $ */) {
          state = LENGTH;
          length = 0;
          negative = false;
        } else {
          state = LINE;
        }
      } else if (state === LINE) {
        const end = chunk.indexOf(LF, at);
        if (end === -1) return complete;
        at = end + 1;
        complete++;
        state = START;
      } else if (state === LENGTH) {
        const byte = chunk[at++] as number;
        if (byte === 0x2d /* - */) negative = true;
        else if (byte >= 0x30 && byte <= 0x39) length = length * 10 + byte - 0x30;
        else if (byte === LF) {
          if (negative) {
            complete++;
            state = START;
          } else {
            skip = length + 2;
            state = BODY;
          }
        }
      } else {
        const take = Math.min(skip, chunk.length - at);
        at += take;
        skip -= take;
        if (skip === 0) {
          complete++;
          state = START;
        }
      }
    }
    return complete;
  };
}

/** memcache text replies: `VALUE` lines with their data blocks until `END`, or any other single line (an error, STORED…). */
function memcacheReplies(): ResponseCounter {
  let line = ''; // the current line so far (lines are short)
  let skip = 0; // data block bytes still to pass, CRLF included
  return (chunk) => {
    let complete = 0;
    let at = 0;
    while (at < chunk.length) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length - at);
        at += take;
        skip -= take;
        continue;
      }
      const end = chunk.indexOf(LF, at);
      if (end === -1) {
        line += chunk.toString('latin1', at);
        return complete;
      }
      line += chunk.toString('latin1', at, end);
      at = end + 1;
      if (line.startsWith('VALUE ')) skip = Number(line.trimEnd().split(' ')[3]) + 2;
      else complete++; // END closes a retrieval; any other line is a reply of its own
      line = '';
    }
    return complete;
  };
}

/** HTTP/1.1 responses framed by Content-Length (what the bench backend and vaurien's errors send). */
function httpResponses(): ResponseCounter {
  let head: Buffer | undefined; // an unfinished head carried over from earlier chunks
  let skip = 0;
  return (input) => {
    let complete = 0;
    let chunk = input;
    let at = 0;
    while (at < chunk.length) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length - at);
        at += take;
        skip -= take;
        if (skip === 0) complete++;
        continue;
      }
      if (head !== undefined) {
        chunk = Buffer.concat([head, chunk.subarray(at)]);
        at = 0;
        head = undefined;
      }
      const end = chunk.indexOf('\r\n\r\n', at, 'latin1');
      if (end === -1) {
        head = Buffer.from(chunk.subarray(at));
        return complete;
      }
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(chunk.toString('latin1', at, end));
      at = end + 4;
      skip = length === null ? 0 : Number(length[1]);
      if (skip === 0) complete++;
    }
    return complete;
  };
}

/** PostgreSQL backend messages: every answer (and a trust login) ends with a ReadyForQuery (`Z`). */
function postgresAnswers(): ResponseCounter {
  const header = Buffer.alloc(5);
  let headerBytes = 0;
  let skip = 0;
  let ready = false;
  return (chunk) => {
    let complete = 0;
    let at = 0;
    while (at < chunk.length) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length - at);
        at += take;
        skip -= take;
        if (skip === 0 && ready) complete++;
        continue;
      }
      header[headerBytes++] = chunk[at++] as number;
      if (headerBytes < 5) continue;
      headerBytes = 0;
      ready = header[0] === 0x5a;
      skip = header.readInt32BE(1) - 4;
      if (skip === 0 && ready) complete++;
    }
    return complete;
  };
}

/** A typed frontend message. */
function pgMessage(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

/** A StartupMessage for the bench server's trust user: the server answers up to its first ReadyForQuery. */
function pgStartup(): Buffer {
  const parameters = Buffer.from('user\0trusted\0database\0chaos\0\0', 'latin1');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + parameters.length, 0);
  head.writeInt32BE(0x30000, 4);
  return Buffer.concat([head, parameters]);
}

const cstring = (text: string): Buffer => Buffer.from(`${text}\0`, 'latin1');
const int16 = (value: number): Buffer => Buffer.from([value >> 8, value & 0xff]);

/**
 * An extended-protocol query as pg sends a parameterized one: Parse (unnamed), Bind one text
 * parameter, Execute, Sync — answered ParseComplete … ReadyForQuery.
 */
export const postgresExtendedWire: Wire = {
  protocol: 'postgres',
  opening: pgStartup(),
  request: Buffer.concat([
    pgMessage('P', cstring(''), cstring('SELECT $1::int AS n'), int16(0)),
    pgMessage('B', cstring(''), cstring(''), int16(0), int16(1), Buffer.from([0, 0, 0, 1]), Buffer.from('7'), int16(0)),
    pgMessage('E', cstring(''), Buffer.alloc(4)),
    pgMessage('S'),
  ]),
  createCounter: postgresAnswers,
};

export const wires: Readonly<Record<ProtocolName, Wire>> = {
  tcp: { protocol: 'tcp', request: VALUE, createCounter: () => fixedLength(VALUE.length) },
  http: { protocol: 'http', request: Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n'), createCounter: httpResponses },
  redis: { protocol: 'redis', request: Buffer.from(`*2\r\n$3\r\nGET\r\n$${KEY.length}\r\n${KEY}\r\n`), createCounter: redisReplies },
  memcache: { protocol: 'memcache', request: Buffer.from(`get ${KEY}\r\n`), createCounter: memcacheReplies },
  // A simple query: RowDescription, DataRow, CommandComplete, ReadyForQuery.
  postgres: { protocol: 'postgres', opening: pgStartup(), request: pgMessage('Q', cstring('SELECT 1')), createCounter: postgresAnswers },
};

/** Sends `request` on a new connection and resolves with the raw answer once `counter` saw `answers`. */
export function exchangeOnce(port: number, request: Buffer, counter: ResponseCounter, answers = 1): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on port ${port} within 5 s`));
    }, 5000);
    let seen = 0;
    socket.on('data', (data: Buffer) => {
      received.push(data);
      seen += counter(data);
      if (seen >= answers) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(received));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(request);
  });
}

/** Stores the value the GET requests read (redis, memcache) and checks the answer looks right. */
export async function prepareBackend(protocol: ProtocolName, port: number): Promise<void> {
  if (protocol === 'redis') {
    const set = `*3\r\n$3\r\nSET\r\n$${KEY.length}\r\n${KEY}\r\n$${VALUE.length}\r\n${VALUE.toString()}\r\n`;
    const answer = await exchangeOnce(port, Buffer.from(set), redisReplies());
    if (!answer.toString().startsWith('+OK')) throw new Error(`redis SET answered ${JSON.stringify(answer.toString())}`);
  } else if (protocol === 'memcache') {
    const set = `set ${KEY} 0 0 ${VALUE.length}\r\n${VALUE.toString()}\r\n`;
    const answer = await exchangeOnce(port, Buffer.from(set), memcacheReplies());
    if (!answer.toString().startsWith('STORED')) throw new Error(`memcached set answered ${JSON.stringify(answer.toString())}`);
  }
  const wire = wires[protocol];
  const answer = (await exchangeWire(port, wire)).toString('latin1');
  const expected = protocol === 'http' ? ' 200 ' : protocol === 'postgres' ? 'SELECT 1' : VALUE.toString();
  if (!answer.includes(expected)) throw new Error(`${protocol} backend answered ${JSON.stringify(answer)}`);
}

/** One request of `wire` on a new connection (after its opening): the raw answer, the opening's included. */
export function exchangeWire(port: number, wire: Wire): Promise<Buffer> {
  const opening = wire.opening;
  return opening === undefined
    ? exchangeOnce(port, wire.request, wire.createCounter())
    : exchangeOnce(port, Buffer.concat([opening, wire.request]), wire.createCounter(), 2);
}
