import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface RunningServer {
  url: string;
  port: number;
  /** The underlying node:http server. */
  node: Server;
  /** Stops accepting connections and waits for in-flight requests (up to `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Serves a fetch handler on node:http. */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  hostname = "127.0.0.1",
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info: AddressInfo) => {
      const shownHost = hostname === "0.0.0.0" || hostname === "::" ? "localhost" : hostname;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        node: server as Server,
        close: (graceMs = 10_000) => closeGracefully(server as Server, graceMs),
      });
    }) as Server;
    server.once("error", reject);
  });
}

function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    // Connections become idle as their last response ends; close each as soon as it does.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
