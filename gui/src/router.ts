/** Hash routing: `#/services`, `#/routes/<id>`… — the page's own path never changes. */
import { useEffect, useState } from "preact/hooks";

export interface Route {
  /** the first segment: "" (overview), "services", "routes"… */
  page: string;
  /** the segments after it, decoded */
  params: string[];
}

export function parseHash(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p !== "")
    .map((p) => decodeURIComponent(p));
  return { page: parts[0] ?? "", params: parts.slice(1) };
}

export function href(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join("/")}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash.startsWith("#/") ? location.hash : ""));
  useEffect(() => {
    // `#main` (the skip link) and other in-page anchors are not routes: the page stays
    const onChange = () => {
      if (location.hash === "" || location.hash.startsWith("#/")) setRoute(parseHash(location.hash));
    };
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
