// Valid traffic of every built-in protocol, request side and response side, and a fast-check
// generator that cuts, damages and mixes it with random bytes: the raw material of the fuzz
// tests (framers alone, and through a live proxy).
import fc from 'fast-check';
import type { Direction } from '../../lib/contract/message.js';

/** Valid traffic of each protocol, request side and response side, to cut, damage and mix. */
export const CORPUS: Record<string, { request: string[]; response: string[] }> = {
  tcp: { request: ['hello'], response: ['world'] },
  http: {
    request: [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
      'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      'HEAD / HTTP/1.1\r\n\r\n',
      'GET /up HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      'POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n',
    ],
    response: [
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
      'HTTP/1.1 204 No Content\r\n\r\n',
    ],
  },
  redis: {
    request: ['*1\r\n$4\r\nPING\r\n', 'PING\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n', '*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n', '*1\r\n$5\r\nMULTI\r\n', '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', '*99999999999\r\n', '$-5\r\n'],
    response: ['+PONG\r\n', '$5\r\nvalue\r\n', '*2\r\n:1\r\n$-1\r\n', '-ERR no\r\n', '>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n', '%1\r\n+a\r\n:1\r\n', '|1\r\n+k\r\n+v\r\n+OK\r\n', '*-1\r\n'],
  },
  memcache: {
    request: ['get k\r\n', 'set k 0 0 5\r\nhello\r\n', 'set k 0 0 5 noreply\r\nhello\r\n', 'mg k v q\r\n', 'mn\r\n', 'stats\r\n', '\x80\x00\x00\x00', 'set k 0 0 99999999999\r\n'],
    response: ['VALUE k 0 5\r\nhello\r\nEND\r\n', 'STORED\r\n', 'VA 2 v\r\nhi\r\n', 'MN\r\n', 'STAT pid 1\r\nEND\r\n', 'ERROR\r\n', 'VALUE k 0 99999999999\r\n'],
  },
  smtp: {
    request: ['EHLO x\r\n', 'MAIL FROM:<a@b>\r\n', 'DATA\r\n', 'hello\r\n.\r\n', 'BDAT 5 LAST\r\nhello', 'AUTH LOGIN\r\n', 'STARTTLS\r\n', 'QUIT\r\n'],
    response: ['220 hi\r\n', '250-x\r\n250 OK\r\n', '354 go\r\n', '334 VXNlcm5hbWU6\r\n', '220 ready for TLS\r\n', '221 bye\r\n', '421 no\r\n'],
  },
  // A start-up first (every framed conversation needs one), then typed messages.
  postgres: {
    request: [
      '\x00\x00\x00\x16\x00\x03\x00\x00user\x00vaurien\x00\x00',
      '\x00\x00\x00\x08\x04\xd2\x16\x2f',
      'Q\x00\x00\x00\x0dSELECT 1\x00',
      'P\x00\x00\x00\x10\x00SELECT 2\x00\x00\x00B\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00E\x00\x00\x00\x09\x00\x00\x00\x00\x00S\x00\x00\x00\x04',
      'd\x00\x00\x00\x07ab\nc\x00\x00\x00\x04',
      'p\x00\x00\x00\x09pass\x00',
      'X\x00\x00\x00\x04',
      'Q\x7f\xff\xff\xff',
    ],
    response: [
      'N',
      'R\x00\x00\x00\x08\x00\x00\x00\x00Z\x00\x00\x00\x05I',
      'T\x00\x00\x00\x1a\x00\x01a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x19\xff\xff\xff\xff\xff\xff\x00\x00D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x01xC\x00\x00\x00\x0dSELECT 1\x00Z\x00\x00\x00\x05T',
      'E\x00\x00\x00\x10CXX000\x00Mno\x00\x00Z\x00\x00\x00\x05E',
      'G\x00\x00\x00\x07\x00\x00\x00',
      'A\x00\x00\x00\x0e\x00\x00\x00\x01ch\x00hi\x00',
      'R\x00\x00\x00\x0c\x00\x00\x00\x05salt',
      'D\x7f\xff\xff\xff',
    ],
  },
  mysql: {
    request: ['\x01\x00\x00\x00\x0e', '\x05\x00\x00\x00\x03SELECT'.slice(0, 9), '\x20\x00\x00\x01\x85\xa6\xff\x01\x00\x00\x00\x01\x21' + '\x00'.repeat(23), '\xff\xff\xff\x00'],
    response: ['\x0a\x00\x00\x00\x0a5.7.0\x00\x01\x00\x00\x00', '\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00', '\x05\x00\x00\x01\xfe\x00\x00\x02\x00', '\x01\x00\x00\x01\x01', '\xff\xff\xff\x00'],
  },
};

export type Step = readonly [Direction, Buffer];

/** Traffic made of whole, cut and damaged corpus pieces and random bytes, in both directions. */
export function trafficOf(protocol: string): fc.Arbitrary<Step[]> {
  const corpus = CORPUS[protocol] as { request: string[]; response: string[] };
  const piece = (direction: Direction): fc.Arbitrary<Step> =>
    fc
      .oneof(
        { weight: 4, arbitrary: fc.constantFrom(...corpus[direction]).map((text) => Buffer.from(text, 'latin1')) },
        { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...corpus[direction]), fc.nat()).map(([text, cut]) => Buffer.from(text.slice(0, cut % (text.length + 1)), 'latin1')) },
        {
          weight: 2,
          arbitrary: fc.tuple(fc.constantFrom(...corpus[direction]), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([text, at, byte]) => {
            const bytes = Buffer.from(text, 'latin1');
            if (bytes.length > 0) bytes[at % bytes.length] = byte;
            return bytes;
          }),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
      )
      .map((bytes): Step => [direction, bytes]);
  return fc.array(fc.oneof(piece('request'), piece('response')), { maxLength: 40 });
}
