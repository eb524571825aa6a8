// TLS through the real `vaurien` command, the config file, startProxy and --workers: https://
// clients get per-request faults, GET /tls shows paths (never key material), and every TLS
// mistake at start is one line on stderr, exit status 2.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { Client } from '../../lib/control/client.js';
import { startProxy, stopProxy } from '../../lib/control/start-proxy.js';
import { certificateFiles, localhostCertificate, signedCertificate, testAuthority, type CertificateFiles } from '../helpers/certificates.js';
import { bannerPort, runVaurien, startVaurien } from '../helpers/cli.js';
import { freePort, startEchoServer } from '../helpers/sockets.js';
import { startTlsEchoServer, tlsClient } from '../helpers/tls-sockets.js';

/** A node:https backend answering "hello PATH", on 127.0.0.1 with the test CA's certificate. */
async function httpsBackend(t: TestContext): Promise<number> {
  const server = createHttpsServer(await signedCertificate(), (incoming, response) => response.end(`hello ${incoming.url}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function controlApiPort(banner: string): number {
  const match = /control API on http:\/\/[^:]+:(\d+)/.exec(banner);
  assert.ok(match !== null, `no control API in "${banner}"`);
  return Number(match[1]);
}

test('https:// through vaurien --tls-cert --backend-tls: faults per request (error: a 50x, delay: late), the banner says tls://, GET /tls shows paths only', async (t) => {
  const backendPort = await httpsBackend(t);
  const files = await certificateFiles(await signedCertificate());
  const vaurien = await startVaurien(t, [
    '--proxy', '127.0.0.1:0', '--backend', `localhost:${backendPort}`, '--protocol', 'http',
    '--tls-cert', files.certFile, '--tls-key', files.keyFile, '--backend-tls', '--backend-tls-ca', files.caFile,
    '--behavior', '50:error', '--seed', '3', '--http', '--http-host', '127.0.0.1', '--http-port', '0',
  ]);
  assert.match(vaurien.banner, /proxying tls:\/\/127\.0\.0\.1:\d+ -> tls:\/\/localhost:\d+ \(protocol http/);
  const port = bannerPort(vaurien.banner);
  const dispatcher = new Agent({ connect: { ca: (await testAuthority()).cert }, pipelining: 1 });
  t.after(() => dispatcher.close());
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const response = await request(`https://localhost:${port}/item/${i}`, { dispatcher });
    const body = await response.body.text();
    statuses.push(response.statusCode);
    if (response.statusCode === 200) assert.equal(body, `hello /item/${i}`, 'an answer went to the wrong request');
    else assert.ok([501, 502, 503].includes(response.statusCode), `status ${response.statusCode}`);
  }
  const failed = statuses.filter((status) => status !== 200).length;
  assert.ok(failed >= 5 && failed <= 25, `${failed} of 30 requests failed under 50:error`);

  const client = new Client({ host: '127.0.0.1', port: controlApiPort(vaurien.banner) });
  await client.setBehavior('delay', { sleep: 0.3 });
  const started = performance.now();
  const late = await request(`https://localhost:${port}/late`, { dispatcher });
  assert.equal(await late.body.text(), 'hello /late');
  assert.ok(performance.now() - started >= 290, 'the request was not delayed');

  const shown = await fetch(`http://127.0.0.1:${controlApiPort(vaurien.banner)}/tls`);
  const text = await shown.text();
  assert.deepEqual(JSON.parse(text), { proxy: { cert: files.certFile, key: files.keyFile }, backend: { ca: files.caFile, insecure: false } });
  assert.doesNotMatch(text, /PRIVATE KEY|BEGIN/);
});

test('the config file takes tls_cert, tls_key, backend_tls, backend_tls_ca, with paths relative to the file', async (t) => {
  const certificate = await signedCertificate();
  const backend = await startTlsEchoServer(t, certificate);
  const files = await certificateFiles(certificate);
  const folder = join(files.dir, 'conf');
  mkdirSync(folder);
  const ini = join(folder, 'vaurien.ini');
  writeFileSync(ini, `[vaurien]\nproxy = 127.0.0.1:0\nbackend = localhost:${backend.port}\ntls_cert = ../cert.pem\ntls_key = ../key.pem\nbackend_tls = true\nbackend_tls_ca = ../ca.pem\n`);
  const vaurien = await startVaurien(t, ['--config', ini], { cwd: tmpdir() });
  const { socket } = await tlsClient(t, bannerPort(vaurien.banner), (await testAuthority()).cert);
  socket.write('over TLS, both ways');
  const [echoed] = (await once(socket, 'data')) as [Buffer];
  assert.equal(echoed.toString(), 'over TLS, both ways');
});

test('--workers 2 with TLS: every worker terminates it, and the primary shows the settings', async (t) => {
  const echo = await startEchoServer(t);
  const files = await certificateFiles(await signedCertificate());
  const vaurien = await startVaurien(t, [
    '--workers', '2', '--proxy', '127.0.0.1:0', '--backend', echo.address, '--tls-cert', files.certFile, '--tls-key', files.keyFile,
    '--http', '--http-host', '127.0.0.1', '--http-port', '0',
  ]);
  const port = bannerPort(vaurien.banner);
  const ca = (await testAuthority()).cert;
  for (let i = 0; i < 8; i++) {
    const { socket } = await tlsClient(t, port, ca);
    socket.write(`client ${i}`);
    const [echoed] = (await once(socket, 'data')) as [Buffer];
    assert.equal(echoed.toString(), `client ${i}`);
    socket.destroy();
  }
  const client = new Client({ host: '127.0.0.1', port: controlApiPort(vaurien.banner) });
  const stats = await client.stats();
  assert.equal(stats.connections.total, 8);
  assert.equal(stats.workers?.filter((worker) => worker.connections.total > 0).length, 2, JSON.stringify(stats.workers));
  const shown = (await (await fetch(`http://127.0.0.1:${controlApiPort(vaurien.banner)}/tls`)).json()) as unknown;
  assert.deepEqual(shown, { proxy: { cert: files.certFile, key: files.keyFile }, backend: null });
});

test('startProxy passes the TLS options to the child, and resolves once its TLS port accepts', async (t) => {
  const echo = await startTlsEchoServer(t, await signedCertificate());
  const files = await certificateFiles(await signedCertificate());
  const proxyPort = await freePort();
  const httpPort = await freePort();
  const pid = await startProxy({
    proxyHost: '127.0.0.1', proxyPort, backendHost: 'localhost', backendPort: echo.port, httpHost: '127.0.0.1', httpPort,
    tlsCert: files.certFile, tlsKey: files.keyFile, backendTls: true, backendTlsCa: files.caFile,
  });
  t.after(() => stopProxy(pid));
  const { socket } = await tlsClient(t, proxyPort, (await testAuthority()).cert);
  socket.write('from startProxy');
  const [echoed] = (await once(socket, 'data')) as [Buffer];
  assert.equal(echoed.toString(), 'from startProxy');
});

/** Runs vaurien with `args` and checks it stopped at start with one line matching `expected`. */
async function assertStartUpError(args: readonly string[], expected: RegExp, cwd?: string): Promise<void> {
  const { code, stderr, stdout } = await runVaurien([...args, '--proxy', '127.0.0.1:0'], cwd === undefined ? {} : { cwd });
  assert.equal(code, 2, `exit code for ${args.join(' ')}; stderr: ${stderr}`);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0] as string, expected);
  assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace was printed');
  assert.equal(stdout, '', 'the proxy started');
}

test('TLS mistakes stop vaurien at start: one line naming the flag (or key) and the file, exit 2', async () => {
  const files: CertificateFiles = await certificateFiles(await signedCertificate());
  const other = await certificateFiles(await localhostCertificate());
  const dir = mkdtempSync(join(tmpdir(), 'vaurien-tls-errors-'));
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a certificate\n');
  const missing = join(dir, 'missing.pem');
  const ini = join(dir, 'vaurien.ini');
  writeFileSync(ini, '[vaurien]\ntls_cert = cert-next-to-the-file.pem\ntls_key = key.pem\n');
  const cases: Array<[readonly string[], RegExp]> = [
    [['--tls-cert', missing, '--tls-key', files.keyFile], /^vaurien: --tls-cert \S+missing\.pem: cannot read the file \(ENOENT\)$/],
    [['--tls-cert', garbage, '--tls-key', files.keyFile], /^vaurien: --tls-cert \S+garbage\.pem: no PEM certificate in it$/],
    [['--tls-cert', files.certFile, '--tls-key', garbage], /^vaurien: --tls-key \S+garbage\.pem: no PEM private key in it$/],
    [['--tls-cert', files.certFile, '--tls-key', other.keyFile], /^vaurien: --tls-key \S+key\.pem: does not match the certificate of --tls-cert \S+cert\.pem$/],
    [['--tls-cert', files.certFile], /^vaurien: --tls-cert \S+cert\.pem: needs --tls-key too/],
    [['--tls-key', files.keyFile], /^vaurien: --tls-key \S+key\.pem: needs --tls-cert too/],
    [['--backend-tls-ca', files.caFile], /^vaurien: --backend-tls-ca: needs --backend-tls/],
    [['--backend-tls-insecure'], /^vaurien: --backend-tls-insecure: needs --backend-tls/],
    [['--backend-tls', '--backend-tls-ca', missing], /^vaurien: --backend-tls-ca \S+missing\.pem: cannot read the file \(ENOENT\)$/],
    [['--backend-tls', '--backend-tls-ca', garbage], /^vaurien: --backend-tls-ca \S+garbage\.pem: no PEM certificate in it$/],
    [['--backend-tls', '--backend-tls-ca', files.caFile, '--backend-tls-insecure'], /^vaurien: --backend-tls-ca \S+ca\.pem: not checked with insecure backend TLS/],
    [['--config', ini], /^vaurien: \S+vaurien\.ini: \[vaurien\] tls_cert \S+vaurien-tls-errors-\w+\/cert-next-to-the-file\.pem: cannot read the file \(ENOENT\)$/],
    [['--workers', '2', '--tls-cert', missing, '--tls-key', files.keyFile], /^vaurien: --tls-cert \S+missing\.pem: cannot read the file/],
    [['demo', '--tls-cert', files.certFile, '--tls-key', files.keyFile], /^vaurien: demo: --tls-cert: the demo's client and backend speak plain HTTP/],
  ];
  // A few at a time: each is a Node process start.
  for (let at = 0; at < cases.length; at += 4) {
    await Promise.all(cases.slice(at, at + 4).map(([args, expected]) => assertStartUpError(args, expected)));
  }
});
