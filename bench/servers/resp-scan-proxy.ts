// The plainest Node proxy that finds every RESP value: `data` events and `write` both ways, each
// chunk scanned for whole values (counted, nothing else), leftovers carried to the next chunk.
// With --pair it also does the least a protocol-aware proxy must: it reads each command's name
// and pairs each reply with the oldest command not answered yet. What finding and pairing
// commands costs in Node, against what vaurien's framing costs (bench/RESULTS.md, "Issue #19",
// third and fourth passes). Usage: resp-scan-proxy.ts BACKEND_PORT [--no-scan | --pair]
// — prints "listening PORT"; on SIGINT prints the values seen to stderr.
import { connect, createServer, type AddressInfo } from 'node:net';
import { Awaiting, scanner, type ScanCounts } from './resp-scan.js';
import { forwardScanned } from './scanned-forward.js';

const backendPort = Number(process.argv[2]);
const scanning = !process.argv.includes('--no-scan');
const pairing = process.argv.includes('--pair');
const counts: ScanCounts = { values: 0, paired: 0 };

const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
  const backend = connect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
  const awaiting = pairing ? new Awaiting() : undefined;
  forwardScanned(client, backend, scanning ? scanner(counts, awaiting, true) : undefined);
  forwardScanned(backend, client, scanning ? scanner(counts, awaiting, false) : undefined);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGINT', () => {
  process.stderr.write(`values ${counts.values}, replies paired ${counts.paired}\n`);
  process.exit(0);
});
