// The baseline: the plainest Node TCP proxy (socket.pipe both ways), what vaurien is measured
// against. Usage: pipe-proxy.ts BACKEND_PORT — prints "listening PORT".
import { connect, createServer, type AddressInfo } from 'node:net';

const backendPort = Number(process.argv[2]);
const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
  client.pipe(backend).on('error', () => client.destroy());
  backend.pipe(client).on('error', () => backend.destroy());
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
// A clean exit on SIGINT, so that a --cpu-prof profile gets written.
process.on('SIGINT', () => process.exit(0));
