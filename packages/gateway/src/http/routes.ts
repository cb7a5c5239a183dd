import { endpointRoutes } from "../delivery/routes.js";
import { erasureRoutes } from "../erasure/routes.js";
import { ingestRoutes } from "../ingest/routes.js";
import { opsRoutes } from "../ops/routes.js";
import { taskRoutes } from "../tasks/routes.js";
import type { RouteModule } from "./app.js";

/** Every stage's routes, in the order data flows through the stages. */
export const routeModules: RouteModule[] = [
  ingestRoutes,
  (gw) => taskRoutes(gw),
  endpointRoutes,
  erasureRoutes,
  opsRoutes,
];
