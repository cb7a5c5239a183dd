import { endpointRoutes } from "../delivery/routes.js";
import { erasureRoutes } from "../erasure/routes.js";
import type { RouteModule } from "../http/app.js";
import { ingestRoutes } from "../ingest/routes.js";
import { opsRoutes } from "../ops/routes.js";
import { memberRoutes } from "../processing/routes.js";
import { taskRoutes } from "../tasks/routes.js";

/** Every stage's routes, in the order data flows through the stages. */
export const routeModules: RouteModule[] = [
  ingestRoutes,
  memberRoutes,
  (gw) => taskRoutes(gw),
  endpointRoutes,
  erasureRoutes,
  opsRoutes,
];
