/** Loading data: once (with a reload), or polled while the page shows. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "./api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  reload: () => void;
}

/** Runs `load` when `deps` change, and again every `pollMs` when given. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      loadRef
        .current()
        .then(
          (d) => {
            if (!live) return;
            setData(d);
            setError(null);
          },
          (err: unknown) => {
            if (live) setError(errorText(err));
          },
        )
        .finally(() => {
          if (live && pollMs !== undefined) timer = setTimeout(run, pollMs);
        });
    };
    run();
    return () => {
      live = false;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [...deps, tick, pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/**
 * Moves focus to the first form control inside `ref` once `ready` (a form just opened: a keyboard
 * user continues there instead of on a button the form may have replaced).
 */
export function useFocusFirst(ref: { current: HTMLElement | null }, ready = true): void {
  const done = useRef(false);
  useEffect(() => {
    if (!ready || done.current) return;
    const first = ref.current?.querySelector<HTMLElement>("input, select, textarea");
    if (first) {
      first.focus();
      done.current = true;
    }
  }, [ready]);
}

/**
 * Focus back where a form was opened from once it closes (`isOpen` turns false): the control that
 * had focus when the returned `remember` was called (in the opening button's handler), or
 * `fallback` when that control is gone.
 */
export function useFocusReturn(isOpen: boolean, fallback?: { current: HTMLElement | null }): () => void {
  const opener = useRef<HTMLElement | null>(null);
  const wasOpen = useRef(isOpen);
  useEffect(() => {
    if (wasOpen.current && !isOpen) {
      const back = opener.current?.isConnected ? opener.current : fallback?.current;
      back?.focus();
      opener.current = null;
    }
    wasOpen.current = isOpen;
  }, [isOpen]);
  return useCallback(() => {
    const active = document.activeElement;
    opener.current = active instanceof HTMLElement ? active : null;
  }, []);
}
