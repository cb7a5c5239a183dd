import { ConflictError, GatewayError, NotFoundError, ValidationError } from "../core/errors.js";

/**
 * Errors raised by webhook delivery, as kinds of the gateway's one error
 * hierarchy, so the HTTP layer renders them as problem+json without a mapping.
 */

/** A host resolves into a network the configuration does not allow (SSRF protection). */
export class NetworkRefusedError extends ValidationError {
  constructor(
    readonly host: string,
    /** The refused address: for logs only, never in a response (it would map internal DNS for a caller). */
    readonly address: string,
    readonly network: string,
  ) {
    const detail = `the host resolves to a ${network.replace("_", "-")} address, which is not allowed`;
    super(`The endpoint URL is refused: ${detail}.`, [{ pointer: "/url", detail }]);
    this.name = "NetworkRefusedError";
  }
}

/** An endpoint URL that is not an absolute http(s) URL, or whose host does not resolve. */
export class InvalidEndpointUrlError extends ValidationError {
  constructor(detail: string) {
    super(`The endpoint URL is not usable: ${detail}.`, [{ pointer: "/url", detail }]);
    this.name = "InvalidEndpointUrlError";
  }
}

/** No endpoint with this id belongs to the calling organization. */
export class EndpointNotFoundError extends NotFoundError {
  constructor(readonly endpointId: string) {
    super(`No endpoint ${endpointId} belongs to this organization.`);
    this.name = "EndpointNotFoundError";
  }
}

/** The endpoint comes from the configuration file: change it there, not through the API. */
export class EndpointReadOnlyError extends ConflictError {
  constructor(readonly endpointId: string) {
    super(`Endpoint ${endpointId} is defined in the gateway configuration; change it there.`);
    this.name = "EndpointReadOnlyError";
  }
}

/** A stored secret could not be decrypted: wrong master key or tampered data. */
export class SecretDecryptionError extends GatewayError {
  constructor(detail: string, cause?: unknown) {
    super("internal", detail, { cause });
    this.name = "SecretDecryptionError";
  }
}
