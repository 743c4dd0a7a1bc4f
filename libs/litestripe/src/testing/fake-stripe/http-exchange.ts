import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './fault-answers.js';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function writeAnswer(res: ServerResponse, answer: Answer, headers: Record<string, string>): void {
  if (res.destroyed || res.headersSent) return;
  const body = Buffer.from(answer.body, 'utf8');
  res.writeHead(answer.status, {
    'Content-Type': 'application/json',
    'Content-Length': String(body.length),
    ...headers,
    ...answer.headers,
  });
  res.end(body);
}
