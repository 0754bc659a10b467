// The registry's errors, as the Confluent Schema Registry REST contract spells them: an HTTP
// status plus `{"error_code", "message"}`. Clients branch on these codes (a 40401 means
// "register first", a 409 "this evolution breaks readers"), so each has one constructor
// here and nowhere else.

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.code, message: this.message };
  }
}

const e = (status: number, code: number) => (message: string) => new RegistryError(status, code, message);

export const Errors = {
  subjectNotFound: (subject: string) => e(404, 40401)(`Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) => e(404, 40402)(`Version ${version} not found.`),
  schemaNotFound: (what?: number | string) => e(404, 40403)(what === undefined ? 'Schema not found' : `Schema ${what} not found`),
  subjectSoftDeleted: (subject: string) =>
    e(404, 40404)(`Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (subject: string) =>
    e(404, 40405)(`Subject '${subject}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (subject: string, version: number) =>
    e(404, 40406)(`Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (subject: string, version: number) =>
    e(404, 40407)(`Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`),
  subjectCompatibilityNotConfigured: (subject: string) =>
    e(404, 40408)(`Subject '${subject}' does not have subject-level compatibility configured`),
  subjectModeNotConfigured: (subject: string) => e(404, 40409)(`Subject '${subject}' does not have subject-level mode configured`),
  // 409 is the code clients and the API reference have used for years (newer servers say 40901).
  incompatible: (message: string) => e(409, 409)(message),
  invalidSchema: (message: string) => e(422, 42201)(message),
  invalidVersion: (version: string) =>
    e(422, 42202)(`The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  invalidCompatibility: (level: unknown) =>
    e(422, 42203)(`Invalid compatibility level ${JSON.stringify(level)}. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE`),
  invalidMode: (mode: unknown) => e(422, 42204)(`Invalid mode ${JSON.stringify(mode)}. Valid values are READWRITE, READONLY`),
  notPermitted: (message: string) => e(422, 42205)(message),
  referenceExists: (message: string) => e(422, 42206)(message),
  invalidSubject: (subject: string) => e(422, 42208)(`The specified subject '${subject}' is not a valid subject name`),
  storeError: (message: string) => e(500, 50001)(`Error in the backend data store: ${message}`),
  timeout: (message: string) => e(500, 50002)(`Operation timed out: ${message}`),
  forwardingFailed: (message: string) => e(500, 50003)(`Error while forwarding the request to the primary: ${message}`),
  unknownLeader: (message: string) => e(500, 50004)(message),
  badRequest: (message: string) => e(400, 400)(message),
  unauthorized: () => e(401, 401)('Unauthorized'),
  notFound: (path: string) => e(404, 404)(`HTTP 404 Not Found: ${path}`),
  unsupportedMediaType: (type: string) => e(415, 415)(`HTTP 415 Unsupported Media Type: ${type}`),
} as const;
