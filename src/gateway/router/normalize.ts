/**
 * Kong's URI normalization (kong.tools.uri), applied to request paths before routing and
 * used by the config validator to reject non-normalized prefix paths.
 *
 *  - percent-decodes every triplet that does not encode an RFC 3986 reserved character
 *    (unreserved characters and "others"); reserved ones stay encoded, hex uppercased;
 *  - removes dot segments (RFC 3986 §5.2.4; `/%2e./` counts as `/../`);
 *  - merges repeated slashes when `mergeSlashes` is set (the router always does).
 *
 * Strings are handled as Node hands them over (one char per byte, latin1), so decoding a
 * triplet yields one char and `escapePath` re-encodes it on the way upstream.
 */

const RESERVED = new Set<number>([..."!*'();:@&=+$,/?%#[]"].map((c) => c.charCodeAt(0)));

const TRIPLET = /%([0-9A-Fa-f]{2})/g;

function decodeTriplet(match: string, hex: string): string {
  const code = Number.parseInt(hex, 16);
  return RESERVED.has(code) ? match.toUpperCase() : String.fromCharCode(code);
}

export function normalizePath(uri: string, mergeSlashes = true): string {
  if (uri === "" || uri === "/") return uri;
  if (uri.includes("%")) uri = uri.replace(TRIPLET, decodeTriplet);
  if (!uri.includes(".")) {
    if (!mergeSlashes || !uri.includes("//")) return uri;
  }
  const out: string[] = [];
  while (uri.length > 0) {
    if (uri === "/.") {
      uri = "/";
    } else if (uri === "/..") {
      uri = "/";
      out.pop();
    } else if (uri === "." || uri === "..") {
      uri = "";
    } else if (uri.startsWith("../")) {
      uri = uri.slice(3);
    } else if (uri.startsWith("./")) {
      uri = uri.slice(2);
    } else if (uri.startsWith("/./")) {
      uri = uri.slice(2);
    } else if (uri.startsWith("/../")) {
      uri = uri.slice(3);
      out.pop();
    } else if (mergeSlashes && uri.startsWith("//")) {
      uri = uri.slice(1);
    } else {
      const i = uri.indexOf("/", 1);
      if (i === -1) {
        out.push(uri);
        uri = "";
      } else {
        out.push(uri.slice(0, i));
        uri = uri.slice(i);
      }
    }
  }
  return out.join("");
}

/** Characters allowed unescaped in a forwarded path (Kong's `escape`): everything else is %XX. */
const UNSAFE = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/g;

export function escapePath(uri: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(uri)) return uri;
  return uri.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x100) return `%${code.toString(16).toUpperCase().padStart(2, "0")}`;
    return encodeURIComponent(c);
  });
}
