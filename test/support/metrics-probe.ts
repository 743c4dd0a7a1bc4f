import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricData, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader that exports nowhere: the test collects on demand. */
class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** One collection: every data point by instrument name. */
export class MetricsReading {
  constructor(readonly metrics: MetricData[]) {}

  get names(): string[] {
    return this.metrics.map((metric) => metric.descriptor.name).sort();
  }

  /** A counter's cumulative value over the points whose attributes include `attributes`. */
  sum(name: string, attributes: Attributes = {}): number {
    return this.points(name, DataPointType.SUM, attributes).reduce((total, point) => total + (point.value as number), 0);
  }

  /** How many values a histogram recorded (points whose attributes include `attributes`). */
  count(name: string, attributes: Attributes = {}): number {
    return this.points(name, DataPointType.HISTOGRAM, attributes).reduce((total, point) => total + (point.value as { count: number }).count, 0);
  }

  /** A gauge's value (of the first point whose attributes include `attributes`); undefined when it was not observed. */
  gauge(name: string, attributes: Attributes = {}): number | undefined {
    return this.points(name, DataPointType.GAUGE, attributes)[0]?.value as number | undefined;
  }

  unit(name: string): string | undefined {
    return this.metrics.find((metric) => metric.descriptor.name === name)?.descriptor.unit;
  }

  /** Every attribute set recorded on any instrument. */
  attributeSets(): Attributes[] {
    return this.metrics.flatMap((metric) => (metric.dataPoints as { attributes: Attributes }[]).map((point) => point.attributes));
  }

  private points(name: string, type: DataPointType, attributes: Attributes): { attributes: Attributes; value: unknown }[] {
    const metric = this.metrics.find((candidate) => candidate.descriptor.name === name);
    if (!metric) return [];
    if (metric.dataPointType !== type) throw new Error(`${name} is not of data point type ${DataPointType[type]}`);
    const points = metric.dataPoints as { attributes: Attributes; value: unknown }[];
    return points.filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
  }
}

/** An OpenTelemetry SDK MeterProvider whose metrics a test reads when it wants (cumulative, as Prometheus reads them). */
export class MetricsProbe {
  private readonly reader = new OnDemandReader();
  readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  async read(): Promise<MetricsReading> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw new Error(`Collecting metrics failed: ${errors.map(String).join('; ')}`);
    return new MetricsReading(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics));
  }

  shutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}
