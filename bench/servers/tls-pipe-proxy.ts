// The TLS baseline: the plainest Node proxy that terminates TLS and speaks TLS to its backend
// (tls.createServer piping both ways to tls.connect, one secure context for every backend
// connection, as vaurien has). Usage: tls-pipe-proxy.ts CERT KEY CA BACKEND_PORT — prints "listening PORT".
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createSecureContext, createServer } from 'node:tls';

const [certFile, keyFile, caFile, port] = process.argv.slice(2) as [string, string, string, string];
const backendContext = createSecureContext({ ca: readFileSync(caFile) });
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), allowHalfOpen: true, noDelay: true }, (client) => {
  const backend = connect({ port: Number(port), host: '127.0.0.1', servername: 'localhost', secureContext: backendContext });
  backend.setNoDelay(true);
  client.pipe(backend).on('error', () => client.destroy());
  backend.pipe(client).on('error', () => backend.destroy());
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
});
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
// A clean exit on SIGINT, so that a --cpu-prof profile gets written.
process.on('SIGINT', () => process.exit(0));
