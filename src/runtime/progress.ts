/**
 * Progress of long operations (`stack up`, `down`): tasks with a status and a detail line.
 * Three renderers: a live task list on a TTY, plain lines otherwise, JSON event lines for --json.
 */
import type { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";

export type TaskStatus = "pending" | "running" | "done" | "skipped" | "failed";

export type ProgressEvent =
  | { type: "task"; id: string; title: string; status: TaskStatus; detail?: string; time: string }
  | { type: "info" | "warning"; message: string; time: string };

export interface Task {
  readonly id: string;
  running(detail?: string): void;
  /** A new detail while running (download %, build step); renderers may drop some. */
  progress(detail: string): void;
  done(detail?: string): void;
  skip(detail?: string): void;
  fail(detail?: string): void;
}

export interface Reporter {
  task(id: string, title: string): Task;
  info(message: string): void;
  warn(message: string): void;
  /** Final redraw; the reporter writes nothing afterwards. */
  close(): void;
}

type Sink = (event: ProgressEvent) => void;

/** A reporter feeding events to a sink; renderers are sinks. */
export function createReporter(sink: Sink, onClose: () => void = () => {}): Reporter {
  const now = () => new Date().toISOString();
  return {
    task(id, title) {
      let last: TaskStatus = "pending";
      const emit = (status: TaskStatus, detail?: string) => {
        last = status;
        sink({ type: "task", id, title, status, ...(detail ? { detail } : {}), time: now() });
      };
      emit("pending");
      return {
        id,
        running: (d) => emit("running", d),
        progress: (d) => {
          if (last === "running" || last === "pending") emit("running", d);
        },
        done: (d) => emit("done", d),
        skip: (d) => emit("skipped", d),
        fail: (d) => emit("failed", d),
      };
    },
    info: (message) => sink({ type: "info", message, time: now() }),
    warn: (message) => sink({ type: "warning", message, time: now() }),
    close: onClose,
  };
}

export const silentReporter: Reporter = createReporter(() => {});

/** One JSON object per line. */
export function jsonReporter(out: Writable): Reporter {
  return createReporter((e) => out.write(`${JSON.stringify(e)}\n`));
}

interface Style {
  color: boolean;
}

const paint = (style: Style, code: number, s: string) => (style.color ? `\u001b[${code}m${s}\u001b[39m` : s);
const SYMBOL: Record<TaskStatus, [string, number]> = {
  pending: ["◼", 90],
  running: ["…", 33],
  done: ["✔", 32],
  skipped: ["↓", 90],
  failed: ["✖", 31],
};

function taskLine(
  style: Style,
  title: string,
  status: TaskStatus,
  detail?: string,
  spinner?: string,
): string {
  const [sym, code] = SYMBOL[status];
  const mark = paint(style, code, status === "running" && spinner ? spinner : sym);
  const tail = detail ? paint(style, 90, ` ${detail}`) : "";
  return `${mark} ${title}${tail}`;
}

/** Plain lines: one when a task starts, one when it ends; no cursor movement. */
export function plainReporter(out: Writable, style: Style = { color: false }): Reporter {
  const started = new Set<string>();
  return createReporter((e) => {
    if (e.type !== "task") {
      out.write(`${e.type === "warning" ? paint(style, 33, "! ") : ""}${e.message}\n`);
      return;
    }
    if (e.status === "running") {
      if (started.has(e.id)) return;
      started.add(e.id);
    }
    if (e.status === "pending") return;
    out.write(`${taskLine(style, e.title, e.status, e.detail)}\n`);
  });
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * A live task list redrawn in place (listr2-style): finished tasks scroll up as permanent lines,
 * unfinished ones stay at the bottom with a spinner. Messages print above the list.
 */
export function ttyReporter(out: Writable & { columns?: number }, style: Style = { color: true }): Reporter {
  const tasks = new Map<string, { title: string; status: TaskStatus; detail?: string }>();
  let drawn = 0;
  let frame = 0;
  let closed = false;
  const width = () => Math.max(20, (out.columns ? out.columns : 100) - 1);
  const clip = (s: string) => {
    // Keep each line to the terminal width so the cursor math stays right.
    const visible = stripVTControlCharacters(s);
    return visible.length <= width() ? s : `${visible.slice(0, width() - 1)}…`;
  };
  const erase = () => {
    if (drawn > 0) out.write(`\u001b[${drawn}A\u001b[0J`);
    drawn = 0;
  };
  const draw = () => {
    const lines: string[] = [];
    for (const [id, t] of tasks) {
      if (t.status === "done" || t.status === "skipped" || t.status === "failed") {
        out.write(`${taskLine(style, t.title, t.status, t.detail)}\n`);
        tasks.delete(id);
      }
    }
    for (const t of tasks.values())
      lines.push(clip(taskLine(style, t.title, t.status, t.detail, FRAMES[frame % FRAMES.length])));
    if (lines.length) out.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const redraw = () => {
    if (closed) return;
    erase();
    draw();
  };
  const timer = setInterval(() => {
    frame++;
    if ([...tasks.values()].some((t) => t.status === "running")) redraw();
  }, 100);
  timer.unref();
  return createReporter(
    (e) => {
      if (closed) return;
      if (e.type !== "task") {
        erase();
        out.write(`${e.type === "warning" ? paint(style, 33, "! ") : ""}${e.message}\n`);
        draw();
        return;
      }
      const t: { title: string; status: TaskStatus; detail?: string } = { title: e.title, status: e.status };
      if (e.detail) t.detail = e.detail;
      tasks.set(e.id, t);
      redraw();
    },
    () => {
      clearInterval(timer);
      redraw();
      closed = true;
    },
  );
}
