/**
 * request-transformer (Kong 3.x), in Kong's order: uri, method, headers, body, query
 * string; within each: remove, rename, replace, add, append.
 */
import { type ConfigPair, splitPair } from "../_shared/config-pairs.js";
import {
  encodeBody,
  multipartField,
  type ParsedBody,
  parseBody,
  replaceUpstreamBody,
} from "../_shared/request-body.js";
import { firstHeader } from "../_shared/request-headers.js";
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import type { RequestTransformerConfig } from "./schema.js";
import { compileTemplate, hasTemplate, renderTemplate, type TemplateEnvironment } from "./template.js";

type Render = (value: string) => string;
type HeaderValue = string | string[];

function pairs(entries: readonly string[], render: Render): ConfigPair[] {
  return entries.map((entry) => {
    const pair = splitPair(entry);
    return { name: pair.name, value: render(pair.value) };
  });
}

function appendValue(old: HeaderValue | undefined, value: string): HeaderValue {
  if (old === undefined) return value;
  return Array.isArray(old) ? [...old, value] : [old, value];
}

function transformHeaders(
  conf: RequestTransformerConfig,
  headers: Record<string, HeaderValue>,
  render: Render,
) {
  for (const name of conf.remove.headers) delete headers[name.toLowerCase()];
  for (const { name, value } of pairs(conf.rename.headers, (v) => v)) {
    const from = name.toLowerCase();
    const to = value.toLowerCase();
    const current = headers[from];
    if (current === undefined || from === to) continue;
    headers[to] = current;
    delete headers[from];
  }
  for (const { name, value } of pairs(conf.replace.headers, render)) {
    const key = name.toLowerCase();
    if (headers[key] !== undefined || key === "host") headers[key] = value;
  }
  for (const { name, value } of pairs(conf.add.headers, render)) {
    const key = name.toLowerCase();
    if (headers[key] === undefined && key !== "host") headers[key] = value;
  }
  for (const { name, value } of pairs(conf.append.headers, render)) {
    const key = name.toLowerCase();
    if (key !== "host") headers[key] = appendValue(headers[key], value);
  }
}

/** Apply the five operations to URLSearchParams (query string and form bodies alike). */
function transformParams(
  params: URLSearchParams,
  ops: { remove: string[]; rename: string[]; replace: string[]; add: string[]; append: string[] },
  render: Render,
): boolean {
  const before = params.toString();
  for (const name of ops.remove) params.delete(name);
  for (const { name, value: to } of pairs(ops.rename, (v) => v)) {
    if (!params.has(name) || name === to) continue;
    const values = params.getAll(name);
    params.delete(name);
    params.delete(to);
    for (const v of values) params.append(to, v);
  }
  for (const { name, value } of pairs(ops.replace, render)) if (params.has(name)) params.set(name, value);
  for (const { name, value } of pairs(ops.add, render)) if (!params.has(name)) params.append(name, value);
  for (const { name, value } of pairs(ops.append, render)) params.append(name, value);
  return params.toString() !== before;
}

/** Lua truthiness of a decoded JSON field (Kong checks `if parameters[name]`). */
const present = (v: unknown) => v !== undefined && v !== false;

function transformJson(json: Record<string, unknown>, conf: RequestTransformerConfig, render: Render): void {
  for (const name of conf.remove.body) if (present(json[name])) delete json[name];
  for (const { name, value: to } of pairs(conf.rename.body, (v) => v)) {
    if (json[name] === undefined || name === to) continue;
    json[to] = json[name];
    delete json[name];
  }
  for (const { name, value } of pairs(conf.replace.body, render)) if (present(json[name])) json[name] = value;
  for (const { name, value } of pairs(conf.add.body, render)) if (!present(json[name])) json[name] = value;
  for (const { name, value } of pairs(conf.append.body, render)) {
    const old = json[name];
    json[name] = old === undefined ? value : Array.isArray(old) ? [...old, value] : [old, value];
  }
}

function transformMultipart(
  body: Extract<ParsedBody, { kind: "multipart" }>,
  conf: RequestTransformerConfig,
  render: Render,
) {
  const has = (name: string) => body.parts.some((p) => p.name === name);
  for (const name of conf.remove.body) body.parts = body.parts.filter((p) => p.name !== name);
  for (const { name, value: to } of pairs(conf.rename.body, (v) => v)) {
    if (!has(name) || name === to) continue;
    body.parts = body.parts.filter((p) => p.name !== to);
    body.parts = body.parts.map((p) =>
      p.name === name
        ? {
            ...p,
            name: to,
            headers: p.headers.replace(/\bname="[^"]*"/i, `name="${to.replace(/"/g, "%22")}"`),
          }
        : p,
    );
  }
  for (const { name, value } of pairs(conf.replace.body, render)) {
    if (has(name)) body.parts = body.parts.map((p) => (p.name === name ? multipartField(name, value) : p));
  }
  for (const { name, value } of pairs(conf.add.body, render))
    if (!has(name)) body.parts.push(multipartField(name, value));
  for (const { name, value } of pairs(conf.append.body, render)) body.parts.push(multipartField(name, value));
}

const hasBodyOps = (c: RequestTransformerConfig) =>
  [c.remove, c.rename, c.replace, c.add, c.append].some((section) => section.body.length > 0);

async function transformBody(ctx: RequestContext, conf: RequestTransformerConfig, render: Render) {
  if (!hasBodyOps(conf)) return;
  const contentType = firstHeader(ctx.upstream.headers["content-type"]);
  const raw = ctx.upstream.body ?? (await ctx.request.readBody());
  const body = parseBody(contentType, raw);
  if (!body) return;
  if (body.kind === "json") {
    const before = JSON.stringify(body.value);
    transformJson(body.value, conf, render);
    if (JSON.stringify(body.value) === before && raw.length > 0) return;
  } else if (body.kind === "multipart") transformMultipart(body, conf, render);
  else {
    const changed = transformParams(
      body.params,
      {
        remove: conf.remove.body,
        rename: conf.rename.body,
        replace: conf.replace.body,
        add: conf.add.body,
        append: conf.append.body,
      },
      render,
    );
    if (!changed) return;
  }
  replaceUpstreamBody(ctx.upstream, encodeBody(body));
}

/** Kong's transform_method: a form body moves into the query string for GET/HEAD/TRACE. */
async function transformMethod(ctx: RequestContext, method: string | null) {
  if (!method) return;
  ctx.upstream.method = method;
  if (method !== "GET" && method !== "HEAD" && method !== "TRACE") return;
  const contentType = firstHeader(ctx.upstream.headers["content-type"]);
  const raw = ctx.upstream.body ?? (await ctx.request.readBody());
  const body = parseBody(contentType, raw);
  if (body?.kind !== "form") return;
  for (const [name, value] of body.params) ctx.upstream.query.append(name, value);
}

/** Render with per-value compiled templates; values without `$(` are used as is. */
function renderer(env: () => TemplateEnvironment): Render {
  const cache = new Map<string, ReturnType<typeof compileTemplate>>();
  return (value) => {
    if (!hasTemplate(value)) return value;
    let compiled = cache.get(value);
    if (!compiled) {
      compiled = compileTemplate(value);
      cache.set(value, compiled);
    }
    return renderTemplate(compiled, env());
  };
}

export function createRequestTransformerHandler(
  entry: PluginEntry<RequestTransformerConfig>,
  env: PluginEnvironment,
): PluginHandler {
  const conf = entry.config;
  return {
    async access(ctx) {
      let templateEnv: TemplateEnvironment | undefined;
      const render = renderer(() => {
        templateEnv ??= {
          headers: { host: ctx.request.headers.host, ...ctx.upstream.headers },
          query_params: new URLSearchParams(ctx.upstream.query),
          uri_captures: ctx.uriCaptures ?? {},
          shared: ctx.shared,
        };
        return templateEnv;
      });
      try {
        if (conf.replace.uri !== null) {
          const path = render(conf.replace.uri);
          ctx.upstream.path = path.startsWith("/") ? path : `/${path}`;
        }
        await transformMethod(ctx, conf.http_method);
        transformHeaders(conf, ctx.upstream.headers, render);
        await transformBody(ctx, conf, render);
        transformParams(
          ctx.upstream.query,
          {
            remove: conf.remove.querystring,
            rename: conf.rename.querystring,
            replace: conf.replace.querystring,
            add: conf.add.querystring,
            append: conf.append.querystring,
          },
          render,
        );
      } catch (err) {
        const message = `[request-transformer] failed to render the template: ${(err as Error).message}`;
        env.logger.error(message);
        ctx.exitMessage(500, message);
      }
    },
  };
}
