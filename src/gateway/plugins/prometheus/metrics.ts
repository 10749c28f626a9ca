/**
 * Lean metric families for the request hot path, registered into the gateway's shared
 * prom-client Registry (they implement the interface the Registry renders: name, help,
 * type, get(), reset()). A series is looked up once by a key the caller builds and then
 * used through its handle (callers cache handles; `generation` changes when a reset
 * invalidates them); label objects are only built when a series is created. This avoids
 * prom-client's per-observation label hashing and validation.
 */
import type { Metric, Registry } from "prom-client";

export type Labels = Record<string, string>;

export interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}

type MetricType = "counter" | "gauge" | "histogram";

export abstract class FastMetric {
  /** Bumped by reset(): series handles obtained before are no longer part of the metric. */
  generation = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
  ) {}

  abstract samples(): Sample[];
  abstract reset(): void;

  /** What prom-client's Registry renders. */
  async get(): Promise<{
    name: string;
    help: string;
    type: MetricType;
    values: Sample[];
    aggregator: "sum";
  }> {
    return { name: this.name, help: this.help, type: this.type, values: this.samples(), aggregator: "sum" };
  }
}

/** A handle on one counter series. */
export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

export class FastCounter extends FastMetric {
  private readonly series = new Map<string, CounterSeries>();

  constructor(name: string, help: string) {
    super(name, help, "counter");
  }

  get size(): number {
    return this.series.size;
  }

  has(key: string): boolean {
    return this.series.has(key);
  }

  /** The series of `key`, created (with `labels()`) when new. */
  seriesFor(key: string, labels: () => Labels): CounterSeries {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: labels(), value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  inc(key: string, labels: () => Labels, value = 1): void {
    this.seriesFor(key, labels).value += value;
  }

  samples(): Sample[] {
    return [...this.series.values()].map((s) => ({ value: s.value, labels: s.labels }));
  }

  reset(): void {
    this.series.clear();
    this.generation++;
  }
}

/** A handle on one histogram series. */
export interface HistogramSeries {
  labels: Labels;
  /** per-bucket (not cumulative) counts; the last slot is +Inf */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric {
  private readonly series = new Map<string, HistogramSeries>();
  private readonly le: string[];

  constructor(
    name: string,
    help: string,
    readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
    this.le = buckets.map(String);
  }

  get size(): number {
    return this.series.size;
  }

  has(key: string): boolean {
    return this.series.has(key);
  }

  /** The series of `key`, created (with `labels()`) when new. */
  seriesFor(key: string, labels: () => Labels): HistogramSeries {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: labels(), counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  observe(key: string, labels: () => Labels, value: number): void {
    this.observeInto(this.seriesFor(key, labels), value);
  }

  observeInto(s: HistogramSeries, value: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.le.length; i++) {
        cumulative += s.counts[i]!;
        out.push({ metricName: bucketName, labels: { ...s.labels, le: this.le[i]! }, value: cumulative });
      }
      out.push({ metricName: bucketName, labels: { ...s.labels, le: "+Inf" }, value: s.count });
      out.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
      out.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
    }
    return out;
  }

  reset(): void {
    this.series.clear();
    this.generation++;
  }
}

/** A gauge whose samples are computed when scraped. */
export class CollectedGauge extends FastMetric {
  constructor(
    name: string,
    help: string,
    private readonly collect: () => Sample[],
  ) {
    super(name, help, "gauge");
  }

  samples(): Sample[] {
    try {
      return this.collect();
    } catch {
      return [];
    }
  }

  reset(): void {}
}

/**
 * Register `metric` unless the registry already has one by that name: returns the
 * registered instance of the same class, or null when the name belongs to someone else.
 */
export function registerFast<M extends FastMetric>(registry: Registry, metric: M): M | null {
  const existing = registry.getSingleMetric(metric.name) as unknown;
  if (existing !== undefined) {
    return existing instanceof FastMetric && existing.constructor === metric.constructor
      ? (existing as M)
      : null;
  }
  registry.registerMetric(metric as unknown as Metric<string>);
  return metric;
}
