import { securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";

/** What every `/v1/ops` route documents alike: its refusals, its security scheme and tag. */
export const opsRefusals = {
  401: problemDoc("Missing or unknown operator token"),
  403: problemDoc("Not an operator token, or the action needs the `operator` role"),
  422: problemDoc("The request does not match the schema; `errors` lists each failing JSON Pointer"),
  503: problemDoc("Redis is unavailable; nothing was changed; retry after Retry-After seconds"),
};
export const opsSecurity = [{ [securitySchemes.operator]: [] }];
export const opsTags = ["Operations"];

/** A JSON response of an ops route. */
export const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
