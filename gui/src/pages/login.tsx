/** The login form: the admin token, exchanged for an HttpOnly session cookie. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, errorText, login } from "../api.js";

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(token);
      onLoggedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 429
          ? "Too many attempts: wait a minute and try again."
          : errorText(err),
      );
      input.current?.focus();
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login" tabIndex={-1}>
      <h1>Gateway manager</h1>
      <form method="post" action="login" onSubmit={submit} aria-labelledby="login-title">
        <h2 id="login-title">Sign in</h2>
        {error && (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        )}
        <div class="field">
          <label for="login-token">Admin token</label>
          <input
            ref={input}
            id="login-token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
            value={token}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "login-error" : "login-hint"}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          <p class="hint" id="login-hint">
            The gateway's admin token (GATEWAY_ADMIN_TOKEN).
          </p>
        </div>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
