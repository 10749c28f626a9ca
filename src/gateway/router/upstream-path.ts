/**
 * The path sent upstream: the request path after strip_path, joined onto service.path,
 * exactly as Kong's router does it (kong/router/utils.lua get_upstream_uri_v0 and the
 * traditional router's v1 branch).
 *
 *  - `reqPath`: normalized request path;
 *  - `matchedPath`: the part of it the route's path matched (prefix, or the regex match),
 *    null when the route has no paths;
 *  - `servicePath`: service.path, null meaning "/".
 */

/** Kong's sanitize_uri_postfix: drop a leading "./" or "../" and lone dot segments. */
export function sanitizePostfix(postfix: string): string {
  if (postfix === "") return postfix;
  if (postfix === "." || postfix === "..") return "";
  if (postfix.startsWith("./")) return postfix.slice(2);
  if (postfix.startsWith("../")) return postfix.slice(3);
  return postfix;
}

export function upstreamPathFor(
  reqPath: string,
  matchedPath: string | null,
  stripPath: boolean,
  servicePath: string | null,
  handling: "v0" | "v1",
): string {
  const base = servicePath ?? "/";
  const stripping = stripPath && matchedPath !== null;
  const postfix = sanitizePostfix(stripping ? reqPath.slice(matchedPath.length) : reqPath.slice(1));
  if (handling === "v1") {
    if (!stripPath) return base + reqPath.slice(1);
    if (base.endsWith("/") && postfix.startsWith("/")) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (base.endsWith("/")) {
    if (!stripPath) return base + reqPath.slice(1);
    if (postfix === "") {
      if (base === "/") return "/";
      return reqPath.endsWith("/") ? base : base.slice(0, -1);
    }
    if (postfix.startsWith("/")) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (!stripPath) return reqPath === "/" ? base : base + reqPath;
  if (postfix === "") return reqPath.length > 1 && reqPath.endsWith("/") ? `${base}/` : base;
  if (postfix.startsWith("/")) return base + postfix;
  return `${base}/${postfix}`;
}
