/** The manager's shell: session, login gate, skip link, header, navigation, the current page. */
import { useEffect, useRef, useState } from "preact/hooks";
import { errorText, loadSession, logout, setUnauthorizedHandler } from "./api.js";
import { ConsumersPage } from "./pages/consumers.js";
import { LoginPage } from "./pages/login.js";
import { LogsPage } from "./pages/logs.js";
import { OverviewPage } from "./pages/overview.js";
import { PluginsPage } from "./pages/plugins.js";
import { RoutePage } from "./pages/route.js";
import { ServicesPage } from "./pages/services.js";
import { UpstreamsPage } from "./pages/upstreams.js";
import { href, type Route, useRoute } from "./router.js";
import type { Session } from "./types.js";

const NAV: Array<{ page: string; label: string }> = [
  { page: "", label: "Overview" },
  { page: "services", label: "Services" },
  { page: "consumers", label: "Consumers" },
  { page: "upstreams", label: "Upstreams" },
  { page: "plugins", label: "Plugins" },
  { page: "logs", label: "Access log" },
];

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () =>
    loadSession().then(
      (s) => {
        setSession(s);
        setError(null);
      },
      (err: unknown) => setError(errorText(err)),
    );
  useEffect(() => {
    setUnauthorizedHandler(() => void refresh());
    void refresh();
  }, []);

  if (error) {
    return (
      <main id="main">
        <h1>Gateway manager</h1>
        <p class="error" role="alert">
          The manager's server did not answer: {error}
        </p>
      </main>
    );
  }
  if (!session) return <p class="muted">Loading…</p>;
  if (session.loginRequired && !session.authenticated) return <LoginPage onLoggedIn={() => void refresh()} />;
  return <Shell session={session} onLogout={() => void logout().finally(() => void refresh())} />;
}

function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // a new page: focus moves to it (screen readers announce it, Tab continues from there)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route.page, route.params.join("/")]);
  const writable = !session.readOnly;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>Gateway manager</h1>
        <p class="meta">
          gatestack {session.version} · <span class="badge">{session.mode}</span>
        </p>
        {session.loginRequired && (
          <button type="button" class="secondary" onClick={onLogout}>
            Sign out
          </button>
        )}
      </header>
      <nav aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.page}>
              <a href={href(n.page)} aria-current={current(route, n.page) ? "page" : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {session.readOnly && (
          <p class="notice" role="note">
            Read-only: {session.readOnlyReason ?? "this gateway's configuration cannot be edited here."}
          </p>
        )}
        <Page route={route} writable={writable} />
      </main>
      <footer>
        <p class="muted">gatestack gateway manager — the Admin API, in a page.</p>
      </footer>
    </>
  );
}

function current(route: Route, page: string): boolean {
  return route.page === page || (page === "services" && route.page === "routes");
}

function Page({ route, writable }: { route: Route; writable: boolean }) {
  switch (route.page) {
    case "":
      return <OverviewPage />;
    case "services":
      return <ServicesPage writable={writable} />;
    case "routes":
      return route.params[0] ? (
        <RoutePage id={route.params[0]} writable={writable} />
      ) : (
        <ServicesPage writable={writable} />
      );
    case "consumers":
      return <ConsumersPage writable={writable} />;
    case "upstreams":
      return <UpstreamsPage writable={writable} />;
    case "plugins":
      return <PluginsPage open={route.params[0]} writable={writable} />;
    case "logs":
      return <LogsPage />;
    default:
      return (
        <>
          <h2>Not found</h2>
          <p>
            No page here. <a href={href()}>Back to the overview</a>.
          </p>
        </>
      );
  }
}
