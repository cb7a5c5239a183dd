import type { IncomingMessage, ServerResponse } from "node:http";
import type { WebhookProblem } from "./core.js";

// What the Express and node:http handlers share: reading a Node request and answering a problem.

export function sendProblem(res: ServerResponse, p: WebhookProblem): void {
  res.writeHead(p.status, { "content-type": "application/problem+json" }).end(JSON.stringify(p));
}

/** The request body as bytes, or "too_large" once it passes `limit` (the rest is not buffered). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | "too_large"> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    size += bytes.byteLength;
    if (size > limit) {
      req.resume(); // drain without keeping it, so the answer can be sent
      return "too_large";
    }
    chunks.push(bytes);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
