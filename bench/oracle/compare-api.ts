// Sends the same 67 requests to two Toxiproxy-API servers and prints where the answers differ
// (status, content type, body; ports and `"Logger":{}` aside). A tool, not a test:
//   node --import tsx bench/oracle/compare-api.ts http://127.0.0.1:8474 http://127.0.0.1:18474
const [a, b] = [process.argv[2] ?? '', process.argv[3] ?? ''];
type Step = readonly [method: string, path: string, body?: string | undefined, headers?: Record<string, string>];
const steps: Step[] = [
  ['GET', '/version'], ['GET', '/proxies'],
  ['POST', '/proxies', '{"name":"a","listen":"127.0.0.1:0","upstream":"127.0.0.1:6379"}'],
  ['POST', '/proxies', '{"name":"a","listen":"127.0.0.1:0","upstream":"127.0.0.1:6379"}'],
  ['POST', '/proxies', '{"listen":"localhost:0","upstream":"127.0.0.1:6379"}'],
  ['POST', '/proxies', '{"name":"c","listen":"localhost:0"}'],
  ['POST', '/proxies', '{"name":"c",'], ['POST', '/proxies', ''], ['POST', '/proxies', '[]'],
  ['POST', '/proxies', '{"name":5}'],
  ['POST', '/proxies', '{"name":"d","listen":"nonsense","upstream":"x"}'],
  ['POST', '/proxies', '{"name":"f","listen":"127.0.0.1:0","upstream":"x","enabled":false}'],
  ['GET', '/proxies/f'], ['GET', '/proxies/zz'],
  ['POST', '/proxies/a/toxics', '{"type":"latency","attributes":{"latency":100}}'],
  ['POST', '/proxies/a/toxics', '{"type":"latency","attributes":{"latency":100}}'],
  ['POST', '/proxies/a/toxics', '{"type":"latency","stream":"upstream","toxicity":0.3,"attributes":{"latency":100,"jitter":5,"foo":1}}'],
  ['POST', '/proxies/a/toxics', '{"type":"bandwidth","name":"bw","attributes":{"rate":"x"}}'],
  ['POST', '/proxies/a/toxics', '{"type":"bandwidth","name":"bw","attributes":{"rate":1.5}}'],
  ['POST', '/proxies/a/toxics', '{"type":"nope"}'], ['POST', '/proxies/a/toxics', '{"type":"noop","stream":"sideways"}'],
  ['POST', '/proxies/a/toxics', '{"type":"noop","stream":"UPSTREAM"}'], ['POST', '/proxies/a/toxics', '{}'],
  ['POST', '/proxies/a/toxics', '{"type":"timeout","toxicity":"x"}'],
  ['POST', '/proxies/a/toxics', '{"type":"slicer"}'], ['POST', '/proxies/a/toxics', '{"type":"limit_data"}'],
  ['POST', '/proxies/a/toxics', '{"type":"reset_peer"}'], ['POST', '/proxies/a/toxics', '{"type":"slow_close"}'],
  ['POST', '/proxies/a/toxics', '{"type":"timeout"}'], ['POST', '/proxies/a/toxics', '{"type":"bandwidth","attributes":{"rate":100}}'],
  ['GET', '/proxies/a/toxics'], ['GET', '/proxies/zz/toxics'], ['GET', '/proxies/a/toxics/nope'],
  ['PATCH', '/proxies/a/toxics/latency_downstream', '{"attributes":{"jitter":7}}'],
  ['PATCH', '/proxies/a/toxics/latency_downstream', '{"toxicity":0.5,"name":"renamed","stream":"upstream","type":"timeout"}'],
  ['POST', '/proxies/a/toxics/latency_downstream', '{"attributes":{"jitter":"x"}}'],
  ['PATCH', '/proxies/a/toxics/nope', '{}'], ['DELETE', '/proxies/a/toxics/nope'], ['DELETE', '/proxies/a/toxics/latency_downstream'],
  ['GET', '/proxies/a'],
  ['PATCH', '/proxies/a', '{"enabled":false}'], ['PATCH', '/proxies/a', '{"enabled":true}'],
  ['POST', '/proxies/a', '{"upstream":"127.0.0.1:1234","name":"zzz"}'],
  ['PATCH', '/proxies/a', '{"listen":"nonsense"}'], ['PATCH', '/proxies/a', '{"enabled":"yes"}'],
  ['PATCH', '/proxies/zz', '{}'], ['PATCH', '/proxies/a', ''], ['DELETE', '/proxies/zz'],
  ['PUT', '/proxies/a', '{}'], ['GET', '/nothing'], ['GET', '/reset'],
  ['GET', '/version', undefined, { 'User-Agent': 'Mozilla/5.0' }], ['GET', '/nothing', undefined, { 'User-Agent': 'Mozilla/5.0' }],
  ['GET', '/proxies/a/'], ['GET', '/proxies/a%2Fb'],
  ['POST', '/populate', '[{"name":"a","listen":"127.0.0.1:0","upstream":"127.0.0.1:1234"},{"name":"p1","listen":"127.0.0.1:0","upstream":"127.0.0.1:80"},{"name":"p2","listen":"127.0.0.1:0","upstream":"127.0.0.1:81","enabled":false}]'],
  ['POST', '/populate', '[{"name":"p3","listen":"127.0.0.1:0","upstream":"127.0.0.1:80"},{"name":"","upstream":"x"}]'],
  ['POST', '/populate', '{"name":"x"}'], ['POST', '/populate', '[]'], ['POST', '/populate', ''],
  ['GET', '/proxies'],
  ['POST', '/reset'], ['GET', '/proxies'],
  ['DELETE', '/proxies/a'], ['DELETE', '/proxies/p1'], ['DELETE', '/proxies/p2'], ['DELETE', '/proxies/f'],
];
const norm = (text: string) => text.replace(/127\.0\.0\.1:\d{4,5}/g, '127.0.0.1:PORT').replace(/\[::\]:\d+/g, '[::]:PORT').replace(/,"Logger":\{\}/g, '');
let differences = 0;
for (const [method, path, body, headers] of steps) {
  const answers = [];
  for (const base of [a, b]) {
    const response = await fetch(base + path, { method, ...(body !== undefined ? { body } : {}), headers: headers ?? {}, redirect: 'manual' });
    const text = await response.text();
    answers.push({ status: response.status, type: response.headers.get('content-type'), body: norm(text) });
  }
  const same = JSON.stringify(answers[0]) === JSON.stringify(answers[1]);
  if (!same) differences++;
  console.log(`${same ? 'same' : 'DIFF'} ${method} ${path} ${body ?? ''}`);
  if (!same) for (const [at, answer] of answers.entries()) console.log(`   ${at === 0 ? 'toxiproxy' : 'vaurien  '} ${answer.status} ${answer.type} ${answer.body}`);
}
console.log(`${steps.length} requests, ${differences} differences`);
