/** One metric as an EMF line carries it: its namespace, name, value and dimensions. */
export interface EmittedMetric {
  namespace: string;
  name: string;
  value: unknown;
  dimensions: Record<string, unknown>;
}

export interface CapturedOutput {
  /** Every line written since the capture began (or was cleared). */
  lines(): string[];
  /** The structured log lines (Powertools Logger), parsed. */
  logs(): Record<string, any>[];
  /** The metrics of the EMF lines (Powertools Metrics), one entry per metric. */
  metrics(): EmittedMetric[];
  clear(): void;
  restore(): void;
}

const parsed = (line: string): Record<string, any> | undefined => {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
};

/** The metrics of embedded-metric-format lines, in the order written. */
export const metricsOf = (entries: Record<string, any>[]): EmittedMetric[] =>
  entries
    .filter((entry) => entry._aws?.CloudWatchMetrics)
    .flatMap((entry) =>
      (entry._aws.CloudWatchMetrics as { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[]).flatMap((set) =>
        set.Metrics.map(({ Name }) => ({
          namespace: set.Namespace,
          name: Name,
          value: entry[Name],
          dimensions: Object.fromEntries(set.Dimensions.flat().map((dimension) => [dimension, entry[dimension]])),
        })),
      ),
    );

/**
 * Captures what Powertools writes: its Logger and Metrics write to
 * process.stdout / stderr directly, not through `console`, so tests read them
 * by spying on the streams. Call `restore()` (or jest.restoreAllMocks()) after.
 */
export const captureOutput = (): CapturedOutput => {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }),
  );
  const entries = () => written.map(parsed).filter((entry): entry is Record<string, any> => entry !== undefined);
  return {
    lines: () => [...written],
    logs: () => entries().filter((entry) => !entry._aws),
    metrics: () => metricsOf(entries()),
    clear: () => void (written.length = 0),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
};
