// The Confluent Schema Registry REST API over a RegistryNode, served by fastify. Reads are
// answered from this instance's state; writes run on this instance when it is the elected
// writer and are forwarded to the writer otherwise. The API is served at the root and,
// unchanged, under each extra path prefix (Apicurio's `/apis/ccompat/v7` by default), so
// URLs written for another registry keep working.
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyBasicAuth from '@fastify/basic-auth';
import { Errors, RegistryError } from './errors.ts';
import type { RegistryNode } from './node.ts';
import {
  parseCompatibility,
  parseMode,
  parseVersion,
  SCHEMA_TYPES,
  type RegisterRequest,
  type VersionView,
  type WritePlan,
} from './state.ts';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Request bodies a client may send (Confluent's list; octet-stream is what some proxies set). */
const JSON_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'];
const FORWARDED_HEADER = 'x-nids-registry-forwarded';

export interface HttpOptions {
  /** Extra mount points of the same API, e.g. ['/apis/ccompat/v7']. */
  prefixes: string[];
  /** `user:password` for HTTP basic auth on every request, or null for none. */
  basicAuth: string | null;
  /** How long a write waits for an elected writer to exist before answering 50004. */
  writerWaitMs: number;
  bodyLimitBytes: number;
  onResponse?(method: string, route: string, status: number, seconds: number): void;
}

type Query = Record<string, string | undefined>;
const flag = (q: Query, name: string) => q[name] === 'true';

export async function buildHttpApi(node: RegistryNode, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes,
    caseSensitive: true,
    ignoreTrailingSlash: true,
    // Errors fastify raises before routing (a URL that does not decode) get the same body shape.
    frameworkErrors: (err, _req, reply) => void send(reply, Errors.badRequest(err.message).toJSON(), 400),
  });
  // Clients send a content type on bodiless DELETEs too: an empty body is no body, not an error.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', ...JSON_TYPES], { parseAs: 'string' }, (req, text, done) => {
    const body = text.toString();
    if (body.trim() === '') done(null, undefined);
    else jsonParser(req, body, done);
  });

  if (options.basicAuth !== null) {
    const expected = Buffer.from(options.basicAuth);
    await app.register(fastifyBasicAuth, {
      authenticate: { realm: 'nids-registry' },
      validate: async (user, password) => {
        const got = Buffer.from(`${user}:${password}`);
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) return new Error('Unauthorized');
      },
    });
    app.addHook('onRequest', app.basicAuth);
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    let out: RegistryError;
    if (err instanceof RegistryError) out = err;
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') out = Errors.unsupportedMediaType(String(_req.headers['content-type']));
    else if (err.statusCode === 401) out = Errors.unauthorized();
    else if (err.statusCode && err.statusCode < 500) out = new RegistryError(err.statusCode, err.statusCode, err.message);
    else out = new RegistryError(500, 500, `Internal Server Error: ${err.message}`);
    void reply.code(out.status).type(CONTENT_TYPE).send(JSON.stringify(out));
  });
  app.setNotFoundHandler((req, reply) => {
    const out = Errors.notFound(req.url);
    void reply.code(404).type(CONTENT_TYPE).send(JSON.stringify(out));
  });
  if (options.onResponse) {
    const hook = options.onResponse;
    app.addHook('onResponse', async (req, reply) => {
      hook(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  const routes = apiRoutes(node, options);
  for (const prefix of ['', ...options.prefixes]) await app.register(routes(prefix), { prefix });
  return app;
}

/** Answers with a JSON body in the registry's content type. */
const send = (reply: FastifyReply, body: unknown, status = 200) => reply.code(status).type(CONTENT_TYPE).send(JSON.stringify(body));

function versionBody(v: VersionView): Record<string, unknown> {
  const out: Record<string, unknown> = { subject: v.subject, version: v.version, id: v.id, schema: v.schema };
  if (v.schemaType !== 'AVRO') out.schemaType = v.schemaType;
  if (v.references.length > 0) out.references = v.references;
  return out;
}

function apiRoutes(node: RegistryNode, options: HttpOptions) {
  const state = node.state;
  // GET /schemas/ids/{id} is what every consumer calls for every new writer id: answer it
  // from a body serialized once per schema.
  const idBodies = new Map<number, string>();
  let idBodiesAt = -1;
  const idBody = (id: number): string => {
    if (idBodiesAt !== state.revision) {
      idBodies.clear();
      idBodiesAt = state.revision;
    }
    let body = idBodies.get(id);
    if (body === undefined) {
      const s = state.schemaById(id);
      const out: Record<string, unknown> = { schema: s.schema };
      if (s.schemaType !== 'AVRO') out.schemaType = s.schemaType;
      if (s.references.length > 0) out.references = s.references;
      body = JSON.stringify(out);
      idBodies.set(id, body);
    }
    return body;
  };

  /**
   * Runs a write here when this instance is the writer, forwards it to the writer
   * otherwise (once: a forwarded request is never forwarded again).
   */
  async function write<R>(
    prefix: string,
    req: FastifyRequest,
    reply: FastifyReply,
    plan: () => WritePlan<R>,
    shape: (r: R) => unknown,
  ): Promise<FastifyReply> {
    // A write that changes nothing (registering a schema the subject already has: what every
    // service does at start-up) is answered by any instance from its own state.
    if (!node.isWriter) {
      const local = (() => {
        try {
          return plan();
        } catch {
          return null; // let the writer judge with the newest state
        }
      })();
      if (local && local.records.length === 0) return send(reply, shape(local.result));
    }
    const deadline = Date.now() + options.writerWaitMs;
    for (;;) {
      if (node.isWriter) return send(reply, shape(await node.write(plan)));
      const leader = node.leaderUrl;
      if (leader && req.headers[FORWARDED_HEADER] === undefined) return forward(req, reply, leader, prefix);
      if (Date.now() >= deadline) {
        throw Errors.unknownLeader(leader ? 'the elected writer did not accept a forwarded write' : 'no schema writer is elected yet; retry shortly');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function forward(req: FastifyRequest, reply: FastifyReply, leader: string, prefix: string): Promise<FastifyReply> {
    const headers: Record<string, string> = { [FORWARDED_HEADER]: '1', accept: CONTENT_TYPE };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    if (req.body !== undefined) headers['content-type'] = CONTENT_TYPE;
    let res: Response;
    try {
      res = await fetch(leader.replace(/\/$/, '') + (req.url.slice(prefix.length) || '/'), {
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(options.writerWaitMs),
      });
    } catch (err) {
      throw Errors.forwardingFailed(`${leader}: ${(err as Error).message}`);
    }
    const text = await res.text();
    return reply.code(res.status).type(res.headers.get('content-type') ?? CONTENT_TYPE).send(text);
  }

  const body = (req: FastifyRequest): RegisterRequest => {
    const b = req.body as RegisterRequest | undefined;
    if (b === undefined || b === null || typeof b !== 'object') throw Errors.invalidSchema('the request body must be a JSON object with a "schema" string');
    return b;
  };
  const subjectOf = (req: FastifyRequest) => (req.params as { subject: string }).subject;
  const idOf = (req: FastifyRequest): number => {
    const raw = (req.params as { id: string }).id;
    const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(id) || id < 1) throw Errors.schemaNotFound(raw);
    return id;
  };
  const versionOf = (req: FastifyRequest) => parseVersion((req.params as { version: string }).version);

  return (prefix: string) => async function routes(app: FastifyInstance): Promise<void> {
    app.get('/', async (_req, reply) => send(reply, {}));
    app.get('/schemas/types', async (_req, reply) => send(reply, SCHEMA_TYPES));

    app.get('/schemas', async (req, reply) => {
      const q = req.query as Query;
      const deleted = flag(q, 'deleted');
      const latestOnly = flag(q, 'latestOnly');
      const out: Record<string, unknown>[] = [];
      for (const subject of state.listSubjects(deleted, q.subjectPrefix ?? '')) {
        const versions = state.listVersions(subject, deleted);
        for (const v of latestOnly ? versions.slice(-1) : versions) out.push(versionBody(state.getVersion(subject, v, deleted)));
      }
      return send(reply, out);
    });
    app.get('/schemas/ids/:id', async (req, reply) => reply.type(CONTENT_TYPE).send(idBody(idOf(req))));
    app.get('/schemas/ids/:id/schema', async (req, reply) => reply.type(CONTENT_TYPE).send(state.schemaById(idOf(req)).schema));
    app.get('/schemas/ids/:id/subjects', async (req, reply) => {
      const deleted = flag(req.query as Query, 'deleted');
      return send(reply, [...new Set(state.usagesOf(idOf(req), deleted).map((u) => u.subject))]);
    });
    app.get('/schemas/ids/:id/versions', async (req, reply) => {
      const deleted = flag(req.query as Query, 'deleted');
      return send(reply, state.usagesOf(idOf(req), deleted).map((u) => ({ subject: u.subject, version: u.version })));
    });

    app.get('/subjects', async (req, reply) => {
      const q = req.query as Query;
      return send(reply, state.listSubjects(flag(q, 'deleted'), q.subjectPrefix ?? ''));
    });
    app.get('/subjects/:subject/versions', async (req, reply) =>
      send(reply, state.listVersions(subjectOf(req), flag(req.query as Query, 'deleted'))));
    app.get('/subjects/:subject/versions/:version', async (req, reply) => {
      const version = versionOf(req);
      return send(reply, versionBody(state.getVersion(subjectOf(req), version, flag(req.query as Query, 'deleted'))));
    });
    app.get('/subjects/:subject/versions/:version/schema', async (req, reply) => {
      const version = versionOf(req);
      return reply.type(CONTENT_TYPE).send(state.getVersion(subjectOf(req), version, flag(req.query as Query, 'deleted')).schema);
    });
    app.get('/subjects/:subject/versions/:version/referencedby', async (req, reply) => {
      const version = versionOf(req);
      const v = state.getVersion(subjectOf(req), version, true);
      return send(reply, state.referencedBy(v.subject, v.version));
    });

    app.post('/subjects/:subject/versions', async (req, reply) => {
      const subject = subjectOf(req);
      const request = body(req);
      return write(prefix, req, reply, () => state.planRegister(subject, request), (r) => ({ id: r.id }));
    });
    app.post('/subjects/:subject', async (req, reply) =>
      send(reply, versionBody(state.lookup(subjectOf(req), body(req), flag(req.query as Query, 'deleted')))));
    app.delete('/subjects/:subject', async (req, reply) => {
      const subject = subjectOf(req);
      const permanent = flag(req.query as Query, 'permanent');
      return write(prefix, req, reply, () => state.planDeleteSubject(subject, permanent), (r) => r);
    });
    app.delete('/subjects/:subject/versions/:version', async (req, reply) => {
      const subject = subjectOf(req);
      const version = versionOf(req);
      const permanent = flag(req.query as Query, 'permanent');
      return write(prefix, req, reply, () => state.planDeleteVersion(subject, version, permanent), (r) => r);
    });

    /**
     * A setting with a global value and optional per-subject overrides (compatibility level,
     * mode): GET/PUT at the root, GET/PUT/DELETE per subject, GET falling back to the global
     * value only with ?defaultToGlobal=true.
     */
    function settingRoutes<V extends string, K extends string>(s: {
      path: string;
      /** The response field (compatibilityLevel, mode) and the PUT body's (compatibility, mode). */
      field: K;
      bodyField: string;
      parse: (raw: unknown) => V;
      global: () => V;
      ofSubject: (subject: string) => V | undefined;
      notConfigured: (subject: string) => Error;
      planSet: (subject: string | null, value: V) => WritePlan<unknown>;
      planDelete: (subject: string | null) => WritePlan<unknown>;
      deleteGlobal: boolean;
    }): void {
      const parsed = (req: FastifyRequest) => s.parse((req.body as Record<string, unknown> | null)?.[s.bodyField]);
      app.get(s.path, async (_req, reply) => send(reply, { [s.field]: s.global() }));
      app.put(s.path, async (req, reply) => {
        const value = parsed(req);
        return write(prefix, req, reply, () => s.planSet(null, value), (r) => r);
      });
      if (s.deleteGlobal) app.delete(s.path, async (req, reply) => write(prefix, req, reply, () => s.planDelete(null), (r) => r));
      app.get(`${s.path}/:subject`, async (req, reply) => {
        const subject = subjectOf(req);
        const value = s.ofSubject(subject) ?? (flag(req.query as Query, 'defaultToGlobal') ? s.global() : undefined);
        if (value === undefined) throw s.notConfigured(subject);
        return send(reply, { [s.field]: value });
      });
      app.put(`${s.path}/:subject`, async (req, reply) => {
        const subject = subjectOf(req);
        const value = parsed(req);
        return write(prefix, req, reply, () => s.planSet(subject, value), (r) => r);
      });
      app.delete(`${s.path}/:subject`, async (req, reply) => {
        const subject = subjectOf(req);
        return write(prefix, req, reply, () => s.planDelete(subject), (r) => r);
      });
    }

    settingRoutes({
      path: '/config', field: 'compatibilityLevel', bodyField: 'compatibility', parse: parseCompatibility,
      global: () => state.globalConfig(), ofSubject: (subject) => state.subjectConfig(subject),
      notConfigured: Errors.subjectCompatibilityNotConfigured,
      planSet: (subject, level) => state.planSetConfig(subject, level), planDelete: (subject) => state.planDeleteConfig(subject),
      deleteGlobal: true,
    });
    settingRoutes({
      path: '/mode', field: 'mode', bodyField: 'mode', parse: parseMode,
      global: () => state.globalMode(), ofSubject: (subject) => state.subjectMode(subject),
      notConfigured: Errors.subjectModeNotConfigured,
      planSet: (subject, mode) => state.planSetMode(subject, mode),
      planDelete: (subject) => {
        if (subject === null) throw Errors.notFound('/mode');
        return state.planDeleteMode(subject);
      },
      deleteGlobal: false,
    });

    const compatibility = async (req: FastifyRequest, reply: FastifyReply, withVersion: boolean) => {
      const version = withVersion ? versionOf(req) : null;
      const reasons = state.testCompatibility(subjectOf(req), version, body(req));
      const out: Record<string, unknown> = { is_compatible: reasons.length === 0 };
      if (flag(req.query as Query, 'verbose')) out.messages = reasons;
      return send(reply, out);
    };
    app.post('/compatibility/subjects/:subject/versions/:version', async (req, reply) => compatibility(req, reply, true));
    app.post('/compatibility/subjects/:subject/versions', async (req, reply) => compatibility(req, reply, false));

  };
}
