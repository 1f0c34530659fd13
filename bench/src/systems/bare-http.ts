/**
 * The ceiling: a bare `node:http` server answering each known request body with the exact bytes
 * our gateway returned for it. Nothing a GraphQL server does is left, only HTTP in and out.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const { PORT, RESPONSES_PATH } = process.env;
if (!PORT || !RESPONSES_PATH) throw new Error('PORT and RESPONSES_PATH are required');
const responses = new Map(
  Object.entries(JSON.parse(readFileSync(RESPONSES_PATH, 'utf8')) as Record<string, string>).map(([body, response]) => [
    body,
    Buffer.from(response),
  ]),
);

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const response = responses.get(Buffer.concat(chunks).toString());
    if (!response) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"message":"unknown request"}]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': response.length }).end(response);
  });
});
server.listen(Number(PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
