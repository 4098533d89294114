// Produces the HdrHistogram interoperability fixtures for test/stats/hdr_encoding_test.cc
// with the reference Java implementation (Debian's libhdrhistogram-java, 2.1.11).
//
// Regenerate (from the repository root; see README.md in this folder):
//   javac -d /tmp/nightjar-fixture -cp /usr/share/java/hdrhistogram.jar test/data/stats/MakeFixture.java
//   java -cp /tmp/nightjar-fixture:/usr/share/java/hdrhistogram.jar MakeFixture write test/data/stats
//
// Modes:
//   write <dir>         records the values below into new Histogram(1, 3600000000000L, 3) and
//                       writes <dir>/java_histogram.b64 (base64 of encodeIntoCompressedByteBuffer)
//                       and <dir>/java_histogram_expected.txt (what Java computes from it).
//   describe <base64>   decodes a compressed base64 histogram (e.g. one nightjar wrote) and
//                       prints the same key=value summary to stdout. Used by
//                       JavaInterop.JavaDecodesOurEncoding when java is installed, as
//                       java -cp /usr/share/java/hdrhistogram.jar MakeFixture.java describe <b64>.
//
// Recorded values (deterministic):
//   1, 2, ..., 10000                 once each
//   1000000000 (1 s)                 1000 times
//   123456789                        7 times
//   2500000000000 and 3599999999999  once each
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

public class MakeFixture {
  static final double[] PERCENTILES = {50.0, 90.0, 99.0, 99.9, 100.0};

  static Histogram fixtureHistogram() {
    Histogram h = new Histogram(1, 3600000000000L, 3);
    for (long v = 1; v <= 10000; v++) h.recordValue(v);
    h.recordValueWithCount(1000000000L, 1000);
    h.recordValueWithCount(123456789L, 7);
    h.recordValue(2500000000000L);
    h.recordValue(3599999999999L);
    return h;
  }

  static String summary(Histogram h) {
    StringBuilder sb = new StringBuilder();
    sb.append("lowest_discernible_value=").append(h.getLowestDiscernibleValue()).append('\n');
    sb.append("highest_trackable_value=").append(h.getHighestTrackableValue()).append('\n');
    sb.append("significant_figures=").append(h.getNumberOfSignificantValueDigits()).append('\n');
    sb.append("total_count=").append(h.getTotalCount()).append('\n');
    sb.append("min=").append(h.getMinValue()).append('\n');
    sb.append("max=").append(h.getMaxValue()).append('\n');
    sb.append("mean=").append(h.getMean()).append('\n');
    for (double p : PERCENTILES) {
      sb.append("p").append(p).append('=').append(h.getValueAtPercentile(p)).append('\n');
    }
    // The percentile iterator at 5 ticks per half distance: level, value, cumulative count.
    for (HistogramIterationValue v : h.percentiles(5)) {
      sb.append("spectrum=").append(v.getPercentileLevelIteratedTo()).append(' ')
          .append(v.getValueIteratedTo()).append(' ').append(v.getTotalCountToThisValue()).append('\n');
    }
    return sb.toString();
  }

  static String encodeBase64(Histogram h) {
    ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int length = h.encodeIntoCompressedByteBuffer(buffer);
    byte[] bytes = new byte[length];
    buffer.rewind();
    buffer.get(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  public static void main(String[] args) throws IOException, DataFormatException {
    if (args.length == 2 && args[0].equals("write")) {
      Histogram h = fixtureHistogram();
      Path dir = Path.of(args[1]);
      Files.write(dir.resolve("java_histogram.b64"),
          (encodeBase64(h) + "\n").getBytes(StandardCharsets.US_ASCII));
      Files.write(dir.resolve("java_histogram_expected.txt"),
          ("# Written by MakeFixture.java with HdrHistogram (Java) from java_histogram.b64's histogram.\n"
              + summary(h)).getBytes(StandardCharsets.US_ASCII));
    } else if (args.length == 2 && args[0].equals("describe")) {
      byte[] bytes = Base64.getDecoder().decode(args[1].trim());
      Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(bytes), 0);
      System.out.print(summary(h));
    } else {
      System.err.println("usage: MakeFixture write <dir> | MakeFixture describe <base64>");
      System.exit(2);
    }
  }
}
