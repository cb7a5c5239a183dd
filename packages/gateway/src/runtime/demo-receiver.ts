import { createServer, type Server } from "node:http";

/**
 * The demo webhook receiver `npm start` runs beside the gateway: it accepts
 * every delivery and prints one line per event, so a newcomer sees tasks
 * arrive. Real integrators verify signatures (see examples/org-receiver).
 */
export function startDemoReceiver(
  port: number,
  print: (line: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let summary = "(unparsable body)";
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          type?: string;
          data?: { task?: { id?: string; kind?: string; orgId?: string; status?: string } };
        };
        const task = body.data?.task;
        summary = task
          ? `${body.type} ${task.kind} ${task.id} for ${task.orgId} (${task.status})`
          : String(body.type);
      } catch {
        // keep the placeholder
      }
      print(`[demo receiver] ${req.headers["webhook-id"] ?? "-"} ${summary}`);
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}
