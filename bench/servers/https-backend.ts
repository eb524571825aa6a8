// The bench's HTTPS backend: the keep-alive HTTP server of backends.ts behind TLS, in its own
// process. Usage: https-backend.ts CERT_FILE KEY_FILE — prints "https PORT".
import { readFileSync } from 'node:fs';
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

const [certFile, keyFile] = process.argv.slice(2) as [string, string];
const options: ServerOptions = { cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60_000, noDelay: true };
const body = Buffer.from('{"ok":true}');
const server = createServer(options, (request, response) => {
  request.resume();
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`https ${(server.address() as AddressInfo).port}\n`));
