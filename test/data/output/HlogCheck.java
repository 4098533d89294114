// An independent reader for nightjar's .hlog interval logs: HdrHistogram's own Java
// HistogramLogReader (Debian's libhdrhistogram-java, 2.1.11). test/output/hlog_test.cc
// runs it on a log nightjar wrote and compares what it prints with nightjar's numbers; the
// test is skipped when java, javac or the jar is missing.
//
// Run by hand (from the repository root):
//   javac -d /tmp/hlogcheck -cp /usr/share/java/hdrhistogram.jar test/data/output/HlogCheck.java
//   java -cp /usr/share/java/hdrhistogram.jar:/tmp/hlogcheck HlogCheck run.hlog
//
// Prints the log's start time, then one line per tag (in order of first appearance) with the
// number of intervals, the accumulated histogram's total count, min, 50th and 99th
// percentile and max, and the absolute start of the first and end of the last interval in
// milliseconds since the epoch, as the reader computes them:
//   start_time_sec=1764172800.123
//   tag=latency intervals=4 total_count=3400 min=... p50=... p99=... max=... first_start_ms=... last_end_ms=...
// Exits 1 when the reader stops before the end of the log (a line it could not parse).
import java.io.FileNotFoundException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

public class HlogCheck {
  static final class TagTotals {
    int intervals;
    Histogram total;
    long firstStartMs = -1;
    long lastEndMs = -1;
  }

  public static void main(String[] args) throws FileNotFoundException {
    if (args.length != 1) {
      System.err.println("usage: HlogCheck <file.hlog>");
      System.exit(2);
    }
    HistogramLogReader reader = new HistogramLogReader(args[0]);
    Map<String, TagTotals> tags = new LinkedHashMap<>();
    EncodableHistogram interval;
    while ((interval = reader.nextIntervalHistogram()) != null) {
      if (!(interval instanceof Histogram)) {
        System.err.println("an interval is not an integer Histogram: " + interval.getClass().getName());
        System.exit(1);
      }
      Histogram h = (Histogram) interval;
      String tag = h.getTag() == null ? "(untagged)" : h.getTag();
      TagTotals t = tags.computeIfAbsent(tag, k -> new TagTotals());
      t.intervals++;
      if (t.total == null) {
        t.total = h.copy();
      } else {
        t.total.add(h);
      }
      if (t.firstStartMs < 0) t.firstStartMs = h.getStartTimeStamp();
      t.lastEndMs = h.getEndTimeStamp();
    }
    // The reader returns null both at the end and at a line it cannot parse.
    if (reader.hasNext()) {
      System.err.println("the reader stopped before the end of the log (a line did not parse)");
      System.exit(1);
    }
    System.out.printf(Locale.US, "start_time_sec=%.3f%n", reader.getStartTimeSec());
    for (Map.Entry<String, TagTotals> e : tags.entrySet()) {
      TagTotals t = e.getValue();
      System.out.printf(Locale.US,
          "tag=%s intervals=%d total_count=%d min=%d p50=%d p99=%d max=%d first_start_ms=%d last_end_ms=%d%n",
          e.getKey(), t.intervals, t.total.getTotalCount(), t.total.getMinValue(),
          t.total.getValueAtPercentile(50.0), t.total.getValueAtPercentile(99.0), t.total.getMaxValue(),
          t.firstStartMs, t.lastEndMs);
    }
  }
}
