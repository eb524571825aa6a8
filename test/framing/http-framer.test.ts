// The http framers on their own: any valid sequence of requests and responses, cut into chunks
// anywhere, frames into the same exchanges (one head message each, bodies in slices of at most
// `buffer` bytes) and gives back the exact input bytes; garbage never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Direction, Message } from '../../lib/contract/message.js';
import type { OptionValues } from '../../lib/contract/options.js';
import type { FramerContext } from '../../lib/contract/protocol.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { http } from '../../plugins/protocols/http.js';
import { frameChunks, frameConnection as frameConnectionOf, framingHarness, harnessFramers, splitAt, type Framed, type FramingHarness } from '../helpers/framing.js';

// ---------- a connection's two framers, driven by hand ----------

const options = (buffer: number): OptionValues => ({ buffer, keep_alive: false, reuse_socket: false });
const harness = framingHarness;
const frame = (h: FramingHarness, direction: Direction, chunks: readonly Buffer[], buffer: number): Framed => frameChunks(http, h, direction, chunks, options(buffer));
const frameConnection = (requests: readonly Buffer[], responses: readonly Buffer[], buffer: number): { request: Framed; response: Framed } =>
  frameConnectionOf(http, requests, responses, options(buffer));
const split = splitAt;

// ---------- what a valid stream must frame into ----------

interface ExpectedSide {
  readonly exchange: number;
  readonly bytes: Buffer;
  /** Heads in order, each exactly one message carrying `info`. */
  readonly heads: Buffer[];
  readonly info?: Record<string, string | number | boolean>;
}

function assertFramed(framed: Framed, expected: readonly ExpectedSide[], buffer: number): void {
  assert.deepEqual(framed.warnings, [], 'a valid stream was reported malformed');
  const groups: Message[][] = [];
  for (const message of framed.messages) {
    const group = groups[groups.length - 1];
    if (group !== undefined && group[0]?.exchange === message.exchange) group.push(message);
    else groups.push([message]);
  }
  // Raw passthrough may come in several messages: compare exchange 0 as one run.
  assert.deepEqual(
    groups.map((group) => group[0]?.exchange),
    expected.map((side) => side.exchange),
    'exchanges differ',
  );
  groups.forEach((group, i) => {
    const side = expected[i] as ExpectedSide;
    const where = `exchange ${side.exchange}`;
    assert.ok(Buffer.concat(group.map((m) => m.bytes)).equals(side.bytes), `${where}: bytes differ`);
    if (side.exchange === 0) {
      assert.ok(group.every((m) => !m.first && !m.last && m.info === undefined), `${where}: raw bytes marked as an exchange`);
      return;
    }
    assert.deepEqual(
      group.map((m) => [m.first, m.last]),
      group.map((_, at) => [at === 0, at === group.length - 1]),
      `${where}: first/last misplaced`,
    );
    const heads = group.filter((m) => m.info !== undefined);
    assert.deepEqual(
      heads.map((m) => m.bytes.toString('latin1')),
      side.heads.map((head) => head.toString('latin1')),
      `${where}: heads are not one message each`,
    );
    if (side.info !== undefined) assert.deepEqual(group[0]?.info, side.info, `${where}: info`);
    for (const m of group) if (m.info === undefined) assert.ok(m.bytes.length <= buffer, `${where}: a body slice of ${m.bytes.length} > ${buffer} bytes`);
  });
}

// ---------- generators of valid HTTP/1.1 traffic ----------

type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly data: Buffer }
  | {
      readonly kind: 'chunked';
      readonly chunks: Buffer[];
      readonly extension: string;
      readonly upper: boolean;
      readonly zeros: number;
      readonly trailers: Array<[string, string]>;
      readonly codings: string;
    };

const FRAMING = new Set(['content-length', 'transfer-encoding', 'upgrade', 'connection', 'expect']);
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
const value = fc.stringMatching(/^[!-~]([ -~]{0,18}[!-~])?$/);
const headers = fc.array(fc.tuple(token, value), { maxLength: 4 }).map((list) => list.filter(([name]) => !FRAMING.has(name.toLowerCase())));
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));
const clName = fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH');
const teName = fc.constantFrom('Transfer-Encoding', 'transfer-encoding');

const chunkedBody: fc.Arbitrary<Body> = fc.record({
  kind: fc.constant('chunked' as const),
  chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }).map((array) => Buffer.from(array)), { maxLength: 4 }),
  extension: fc.constantFrom('', ';a=b', ' ;x', ';name="quoted value";y', '\t;z=1'),
  upper: fc.boolean(),
  zeros: fc.nat(2),
  trailers: fc.array(fc.tuple(token, value), { maxLength: 2 }),
  codings: fc.constantFrom('chunked', 'gzip, chunked', 'Chunked'),
});
const lengthBody: fc.Arbitrary<Body> = fc.record({ kind: fc.constant('length' as const), data: bytes(400) });

function bodyHeader(body: Body, names: { cl: string; te: string }): string {
  if (body.kind === 'length') return `${names.cl}: ${body.data.length}\r\n`;
  if (body.kind === 'chunked') return `${names.te}: ${body.codings}\r\n`;
  return '';
}

function bodyBytes(body: Body): Buffer {
  if (body.kind === 'none') return Buffer.alloc(0);
  if (body.kind === 'length') return body.data;
  const size = (n: number): string => '0'.repeat(body.zeros) + (body.upper ? n.toString(16).toUpperCase() : n.toString(16));
  const parts: Buffer[] = [];
  for (const chunk of body.chunks) parts.push(Buffer.from(`${size(chunk.length)}${body.extension}\r\n`), chunk, Buffer.from('\r\n'));
  parts.push(Buffer.from(`0${body.extension}\r\n${body.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`));
  return Buffer.concat(parts);
}

interface Exchange {
  readonly request: Buffer;
  readonly requestHead: Buffer;
  readonly method: string;
  readonly target: string;
  /** Interim heads then the final response. */
  readonly responseHeads: Buffer[];
  readonly response: Buffer;
  /** The status of the first response head (an interim one if any). */
  readonly firstStatus: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'] as const;

const exchange: fc.Arbitrary<Exchange> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    target: fc.stringMatching(/^\/[a-z0-9/_.-]{0,12}(\?[a-z0-9=&]{0,8})?$/),
    requestHeaders: headers,
    requestBody: fc.oneof(fc.constant<Body>({ kind: 'none' }), lengthBody, chunkedBody),
    expectContinue: fc.boolean(),
    names: fc.record({ cl: clName, te: teName }),
    interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    status: fc.constantFrom(200, 201, 204, 304, 404, 500),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
    responseHeaders: headers,
    responseBody: fc.oneof(lengthBody, chunkedBody),
    phantomLength: fc.option(fc.nat(5000), { nil: undefined }),
  })
  .map((x) => {
    const requestHead = Buffer.from(
      `${x.method} ${x.target} HTTP/1.1\r\nHost: example.test\r\n` +
        x.requestHeaders.map(([n, v]) => `${n}: ${v}\r\n`).join('') +
        (x.expectContinue && x.requestBody.kind !== 'none' ? 'Expect: 100-continue\r\n' : '') +
        bodyHeader(x.requestBody, x.names) +
        '\r\n',
    );
    const interimHeads = x.interim.map((status) => Buffer.from(`HTTP/1.1 ${status} Informational\r\n${status === 103 ? 'Link: </a.css>; rel=preload\r\n' : ''}\r\n`));
    const bodiless = x.method === 'HEAD' || x.status === 204 || x.status === 304;
    // A bodiless response may still announce the length the body would have had.
    const framingHeader = bodiless
      ? x.phantomLength === undefined
        ? ''
        : `Content-Length: ${x.phantomLength}\r\n`
      : bodyHeader(x.responseBody, x.names);
    const finalHead = Buffer.from(`${x.version} ${x.status} Some Reason\r\n` + x.responseHeaders.map(([n, v]) => `${n}: ${v}\r\n`).join('') + framingHeader + '\r\n');
    const responseHeads = [...interimHeads, finalHead];
    return {
      request: Buffer.concat([requestHead, bodyBytes(x.requestBody)]),
      requestHead,
      method: x.method,
      target: x.target,
      responseHeads,
      response: Buffer.concat([...responseHeads, bodiless ? Buffer.alloc(0) : bodyBytes(x.responseBody)]),
      firstStatus: x.interim[0] ?? x.status,
    };
  });

/** How a connection may end: plainly, with a response read until close, or by switching protocols. */
type Ending =
  | { readonly kind: 'plain' }
  | { readonly kind: 'until-close'; readonly body: Buffer }
  | { readonly kind: 'upgrade' | 'connect'; readonly clientTail: Buffer; readonly serverTail: Buffer };

const ending: fc.Arbitrary<Ending> = fc.oneof(
  fc.constant<Ending>({ kind: 'plain' }),
  fc.record({ kind: fc.constant('until-close' as const), body: bytes(300) }),
  fc.record({ kind: fc.constantFrom('upgrade' as const, 'connect' as const), clientTail: bytes(200), serverTail: bytes(200) }),
);

interface Conversation {
  readonly requests: Buffer;
  readonly responses: Buffer;
  readonly expectedRequests: ExpectedSide[];
  readonly expectedResponses: ExpectedSide[];
}

function conversation(exchanges: readonly Exchange[], end: Ending): Conversation {
  const requests: Buffer[] = [];
  const responses: Buffer[] = [];
  const expectedRequests: ExpectedSide[] = [];
  const expectedResponses: ExpectedSide[] = [];
  exchanges.forEach((x, i) => {
    requests.push(x.request);
    responses.push(x.response);
    const expects = x.requestHead.includes('\r\nExpect: 100-continue\r\n');
    const info = expects ? { method: x.method, target: x.target, awaitsAnswer: true } : { method: x.method, target: x.target };
    expectedRequests.push({ exchange: i + 1, bytes: x.request, heads: [x.requestHead], info });
    expectedResponses.push({ exchange: i + 1, bytes: x.response, heads: x.responseHeads, info: { status: x.firstStatus } });
  });
  const next = exchanges.length + 1;
  if (end.kind === 'until-close') {
    const head = Buffer.from('GET /stream HTTP/1.1\r\nHost: example.test\r\n\r\n');
    const responseHead = Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
    requests.push(head);
    responses.push(responseHead, end.body);
    expectedRequests.push({ exchange: next, bytes: head, heads: [head] });
    expectedResponses.push({ exchange: next, bytes: Buffer.concat([responseHead, end.body]), heads: [responseHead], info: { status: 200 } });
  } else if (end.kind !== 'plain') {
    const head = Buffer.from(
      end.kind === 'upgrade'
        ? 'GET /chat HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
        : 'CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n',
    );
    const responseHead = Buffer.from(
      end.kind === 'upgrade' ? 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n' : 'HTTP/1.1 200 Connection Established\r\n\r\n',
    );
    requests.push(head, end.clientTail);
    responses.push(responseHead, end.serverTail);
    expectedRequests.push({ exchange: next, bytes: head, heads: [head] });
    expectedResponses.push({ exchange: next, bytes: responseHead, heads: [responseHead], info: { status: end.kind === 'upgrade' ? 101 : 200 } });
    if (end.clientTail.length > 0) expectedRequests.push({ exchange: 0, bytes: end.clientTail, heads: [] });
    if (end.serverTail.length > 0) expectedResponses.push({ exchange: 0, bytes: end.serverTail, heads: [] });
  }
  return { requests: Buffer.concat(requests), responses: Buffer.concat(responses), expectedRequests, expectedResponses };
}

const conversations = fc.tuple(fc.array(exchange, { minLength: 1, maxLength: 5 }), ending).map(([xs, end]) => conversation(xs, end));
const splits = fc.array(fc.nat(), { maxLength: 40 });
const bufferSize = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant(2048));

// ---------- properties ----------

test('pipelined requests and their responses, cut anywhere, frame into the same exchanges byte for byte', () => {
  fc.assert(
    fc.property(conversations, splits, splits, bufferSize, (c, requestCuts, responseCuts, buffer) => {
      const { request, response } = frameConnection(split(c.requests, requestCuts), split(c.responses, responseCuts), buffer);
      assertFramed(request, c.expectedRequests, buffer);
      assertFramed(response, c.expectedResponses, buffer);
    }),
    { numRuns: 400 },
  );
});

test('the same stream gives the same messages whether it comes whole or one byte at a time', () => {
  fc.assert(
    fc.property(conversations, (c) => {
      const whole = frameConnection([c.requests], [c.responses], 2048);
      const bytewise = frameConnection(split(c.requests, [...c.requests.keys()]), split(c.responses, [...c.responses.keys()]), 2048);
      const shape = (framed: Framed): unknown[] =>
        framed.messages.filter((m) => m.info !== undefined || m.last).map((m) => [m.exchange, m.first, m.last, m.info, m.info ? m.bytes.toString('latin1') : '']);
      assert.deepEqual(shape(bytewise.request), shape(whole.request));
      assert.deepEqual(shape(bytewise.response), shape(whole.response));
    }),
    { numRuns: 100 },
  );
});

/** Bad input never throws, never changes a byte, warns at most once, and every exchange opened is closed once. */
function assertSurvives(framed: Framed, input: Buffer): void {
  assert.ok(Buffer.concat(framed.messages.map((m) => m.bytes)).equals(input), 'bytes changed');
  assert.ok(framed.warnings.length <= 1, `${framed.warnings.length} warnings`);
  const firsts = new Map<number, number>();
  const lasts = new Map<number, number>();
  for (const m of framed.messages) {
    if (m.exchange === 0) continue;
    if (m.first) firsts.set(m.exchange, (firsts.get(m.exchange) ?? 0) + 1);
    if (m.last) lasts.set(m.exchange, (lasts.get(m.exchange) ?? 0) + 1);
  }
  for (const [exchange, count] of firsts) {
    assert.equal(count, 1, `exchange ${exchange} started ${count} times`);
    assert.equal(lasts.get(exchange), 1, `exchange ${exchange} ended ${lasts.get(exchange) ?? 0} times`);
  }
}

test('random garbage in either direction never throws and passes through byte for byte', () => {
  fc.assert(
    fc.property(bytes(600), bytes(600), splits, splits, bufferSize, (requests, responses, requestCuts, responseCuts, buffer) => {
      const h = harness();
      h.forwarded.push({ exchange: 1, info: { method: 'GET' } }, { exchange: 2, info: { method: 'HEAD' } });
      h.context.opened = 2;
      assertSurvives(frame(h, 'request', split(requests, requestCuts), buffer), requests);
      assertSurvives(frame(h, 'response', split(responses, responseCuts), buffer), responses);
    }),
    { numRuns: 300 },
  );
});

test('valid traffic with bytes damaged anywhere never throws and passes through byte for byte', () => {
  const damage = fc.array(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean()), { minLength: 1, maxLength: 3 });
  const apply = (data: Buffer, edits: ReadonlyArray<readonly [number, Uint8Array, boolean]>): Buffer => {
    let out = data;
    for (const [position, inserted, replace] of edits) {
      const at = out.length === 0 ? 0 : position % out.length;
      out = Buffer.concat([out.subarray(0, at), inserted, out.subarray(replace ? at + inserted.length : at)]);
    }
    return out;
  };
  fc.assert(
    fc.property(conversations, damage, damage, splits, splits, bufferSize, (c, requestDamage, responseDamage, requestCuts, responseCuts, buffer) => {
      const requests = apply(c.requests, requestDamage);
      const responses = apply(c.responses, responseDamage);
      const { request, response } = frameConnection(split(requests, requestCuts), split(responses, responseCuts), buffer);
      assertSurvives(request, requests);
      assertSurvives(response, responses);
    }),
    { numRuns: 300 },
  );
});

// ---------- the cases that matter most, spelled out ----------

test('a HEAD response announcing a length has no body: the next response pairs with the next request', () => {
  const { response } = frameConnection(
    [Buffer.from('HEAD /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n')],
    [Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')],
    2048,
  );
  assert.deepEqual(
    response.messages.map((m) => [m.exchange, m.first, m.last, m.bytes.toString()]),
    [
      [1, true, true, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'],
      [2, true, false, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n'],
      [2, false, true, 'ok'],
    ],
  );
});

test('100 Continue is part of its exchange without ending it', () => {
  const { response } = frameConnection(
    [Buffer.from('POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc')],
    [Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n')],
    2048,
  );
  assert.deepEqual(
    response.messages.map((m) => [m.exchange, m.first, m.last, m.info]),
    [
      [1, true, false, { status: 100 }],
      [1, false, true, { status: 201 }],
    ],
  );
});

test('a response with neither length nor chunking ends when the backend closes', () => {
  const { response } = frameConnection([Buffer.from('GET / HTTP/1.0\r\n\r\n')], [Buffer.from('HTTP/1.0 200 OK\r\n\r\npart 1'), Buffer.from(', part 2')], 2048);
  assert.deepEqual(
    response.messages.map((m) => [m.exchange, m.first, m.last, m.bytes.toString()]),
    [
      [1, true, false, 'HTTP/1.0 200 OK\r\n\r\n'],
      [1, false, false, 'part 1'],
      [1, false, false, ', part 2'],
      [1, false, true, ''],
    ],
  );
});

test('a 5 MB body streams in slices of `buffer` bytes without waiting for its end', () => {
  const h = harness();
  const head = Buffer.from('POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n');
  const warnings = h.warnings;
  const framer = harnessFramers(http, h, { buffer: 4096, keep_alive: false, reuse_socket: false }).request;
  const first = [...framer.push(Buffer.concat([head, Buffer.alloc(10_000, 1)]))];
  assert.deepEqual(
    first.map((m) => m.bytes.length),
    [head.length, 4096, 4096, 10_000 - 8192],
  );
  assert.ok(first.every((m) => !m.last), 'the body is not over yet');
  let total = 10_000;
  let lastSeen = false;
  while (total < 5 * 1024 * 1024) {
    const chunk = Buffer.alloc(Math.min(65536, 5 * 1024 * 1024 - total), 2);
    total += chunk.length;
    for (const m of framer.push(chunk)) {
      assert.ok(m.bytes.length <= 4096);
      lastSeen ||= m.last;
    }
  }
  assert.ok(lastSeen, 'the last slice ends the request');
  assert.deepEqual(warnings, []);
});

test('a head over 64 KiB is malformed: one warning, then raw passthrough', () => {
  const huge = Buffer.from(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\nGET / HTTP/1.1\r\n\r\n`);
  const { request } = frameConnection(split(huge, [1000, 30_000, 60_000, 66_000]), [], 2048);
  assert.equal(request.warnings.length, 1);
  assert.ok(request.messages.every((m) => m.exchange === 0));
  assert.ok(Buffer.concat(request.messages.map((m) => m.bytes)).equals(huge));
});

test('a request whose Transfer-Encoding does not end with chunked is malformed, and the exchange before it is whole', () => {
  const input = Buffer.from('GET /ok HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxyz');
  const { request } = frameConnection([input], [], 2048);
  assert.equal(request.warnings.length, 1);
  assert.deepEqual(
    request.messages.map((m) => [m.exchange, m.first, m.last]),
    [
      [1, true, true],
      [0, false, false],
      [0, false, false],
    ],
  );
});

test('a declined Upgrade leaves the connection HTTP: the next request is framed again', () => {
  const h = harness();
  const options = { buffer: 2048, keep_alive: false, reuse_socket: false };
  const { request: requests, response: responses } = harnessFramers(http, h, options);
  const upgrade = [...requests.push(Buffer.from('GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n'))];
  h.forwarded.push({ exchange: 1, info: upgrade[0]?.info });
  assert.deepEqual(
    [...responses.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))].map((m) => [m.exchange, m.last]),
    [[1, true]],
  );
  const next = [...requests.push(Buffer.from('GET /again HTTP/1.1\r\n\r\n'))];
  assert.deepEqual(
    next.map((m) => [m.exchange, m.first, m.last, m.info]),
    [[2, true, true, { method: 'GET', target: '/again' }]],
  );
});

test('a 60 KiB head arriving in 100-byte pieces is still one message, and bare LF line ends are accepted', () => {
  const bigHead = Buffer.from(`GET /big HTTP/1.1\r\nX-Big: ${'b'.repeat(60 * 1024)}\r\nContent-Length: 2\r\n\r\n`);
  const bareLf = Buffer.from('GET /lf HTTP/1.1\nHost: x\n\n');
  const input = Buffer.concat([bigHead, Buffer.from('ok'), bareLf]);
  const { request } = frameConnection(
    split(input, Array.from({ length: input.length / 100 }, (_, i) => i * 100)),
    [],
    2048,
  );
  assert.deepEqual(request.warnings, []);
  const heads = request.messages.filter((m) => m.info !== undefined);
  assert.ok(heads[0]?.bytes.equals(bigHead), 'the big head is not one message');
  assert.ok(heads[1]?.bytes.equals(bareLf), 'the bare-LF head is not one message');
  assert.deepEqual(
    request.messages.filter((m) => m.last).map((m) => m.exchange),
    [1, 2],
  );
});
