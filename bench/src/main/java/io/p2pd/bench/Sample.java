package io.p2pd.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** The figures of one run of one workload on one side, by metric name, in the order they are reported. */
final class Sample {

    final Map<String, Double> values = new LinkedHashMap<>();

    Sample put(String metric, double value) {
        values.put(metric, value);
        return this;
    }

    double get(String metric) {
        Double v = values.get(metric);
        return v == null ? Double.NaN : v;
    }
}
