#include "model/result_proto.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "stats/hdr_encoding.h"

namespace nightjar::model {
namespace {

namespace v1 = nightjar::v1;

std::string compressed(const stats::HdrHistogram& histogram) {
  const std::vector<uint8_t> bytes = stats::encode_compressed(histogram);
  return {bytes.begin(), bytes.end()};
}

void put_histograms(const stats::HdrHistogram& latency, const stats::HdrHistogram& service_time,
                    v1::IntervalHistograms* out) {
  out->set_latency_v2(compressed(latency));
  out->set_service_time_v2(compressed(service_time));
}

// A second's histogram, which the model keeps in base64: as bytes when it decodes (it always
// does when the run made it), else as it is.
void put_base64_histogram(const std::string& base64, std::string* bytes, std::string* text) {
  if (base64.empty()) return;
  Result<std::string> decoded = stats::from_base64(base64);
  if (decoded.ok()) {
    *bytes = std::move(*decoded);
  } else {
    *text = base64;
  }
}

// The histogram of `bytes` in base64 when set, else `text`.
std::string base64_histogram(const std::string& bytes, const std::string& text) {
  return bytes.empty() ? text : stats::to_base64(bytes);
}

// Reading: the first problem is kept, named by its field; histograms share one bucket budget.
class Reader {
 public:
  stats::HdrHistogram histogram(const std::string& text, const std::string& field) {
    return check(budget_.decode_base64(text), field);
  }
  // From IntervalHistograms: the bytes when set, else the base64 text.
  stats::HdrHistogram histogram(const std::string& bytes, const std::string& text,
                                const std::string& field) {
    return bytes.empty() ? histogram(text, field) : check(budget_.decode(bytes), field + "_v2");
  }
  stats::HdrHistogram check(Result<stats::HdrHistogram> h, const std::string& field) {
    if (!h.ok()) {
      fail(field + ": " + h.status().message());
      return {};
    }
    return std::move(*h);
  }
  void fail(const std::string& message) {
    if (error_.empty()) error_ = message;
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
  stats::DecodeBudget budget_{kMaxResultHistogramBuckets};
};

void put_options(const RunOptions& o, v1::RunOptions* out) {
  for (const std::string& url : o.urls) out->add_urls(url);
  out->set_method(o.method);
  out->set_protocol(o.protocol);
  out->set_requested_rps(o.requested_rps);
  out->set_duration_ns(o.duration_ns);
  out->set_requests(o.requests);
  out->set_warmup_ns(o.warmup_ns);
  out->set_timeout_ns(o.timeout_ns);
  out->set_connections(o.connections);
  out->set_threads(o.threads);
  out->set_max_pending(o.max_pending);
  for (const auto& [name, value] : o.headers) {
    v1::Header* h = out->add_headers();
    h->set_name(name);
    h->set_value(value);
  }
  out->set_body_bytes(o.body_bytes);
  out->set_max_concurrent_streams(o.max_concurrent_streams);
  out->set_tls(o.tls);
  out->set_tls_insecure(o.tls_insecure);
  out->set_tls_sni(o.tls_sni);
  out->set_tls_ca_file(o.tls_ca_file);
  out->set_tls_client_cert(o.tls_client_cert);
  out->set_grpc_method(o.grpc_method);
  out->set_arrival(o.arrival);
  out->set_seed(o.seed);
  to_proto(o.rate_shape, out->mutable_rate_shape());
}

RunOptions get_options(const v1::RunOptions& m) {
  RunOptions o;
  o.urls.assign(m.urls().begin(), m.urls().end());
  o.method = m.method().empty() ? "GET" : m.method();
  o.protocol = m.protocol().empty() ? "http/1.1" : m.protocol();
  o.requested_rps = m.requested_rps();
  o.duration_ns = m.duration_ns();
  o.requests = m.requests();
  o.warmup_ns = m.warmup_ns();
  o.timeout_ns = m.timeout_ns();
  o.connections = m.connections();
  o.threads = m.threads();
  o.max_pending = m.max_pending();
  for (const v1::Header& h : m.headers()) o.headers.emplace_back(h.name(), h.value());
  o.body_bytes = m.body_bytes();
  o.max_concurrent_streams = m.max_concurrent_streams() > 0 ? m.max_concurrent_streams() : 1;
  o.tls = m.tls();
  o.tls_insecure = m.tls_insecure();
  o.tls_sni = m.tls_sni();
  o.tls_ca_file = m.tls_ca_file();
  o.tls_client_cert = m.tls_client_cert();
  o.grpc_method = m.grpc_method();
  o.arrival = m.arrival().empty() ? "uniform" : m.arrival();
  o.seed = m.seed();
  o.rate_shape = from_proto(m.rate_shape());
  return o;
}

// The counters nightjar.v1.Counters and nightjar.v1.RunResult (where the JSON form has them
// at its top level) both hold, by the same names.
template <typename Message>
void put_connection_counters(const Counters& c, Message* out) {
  out->set_bytes_received(c.bytes_received);
  out->set_connections_opened(c.connections_opened);
  out->set_connect_failures(c.connect_failures);
  out->set_tls_handshakes(c.tls_handshakes);
  out->set_tls_resumed(c.tls_resumed);
  out->set_http2_goaways(c.http2_goaways);
  out->set_http2_refused_streams(c.http2_refused_streams);
  out->set_http2_flow_control_stalls(c.http2_flow_control_stalls);
}

template <typename Message>
void get_connection_counters(const Message& m, Counters& c) {
  c.bytes_received = m.bytes_received();
  c.connections_opened = m.connections_opened();
  c.connect_failures = m.connect_failures();
  c.tls_handshakes = m.tls_handshakes();
  c.tls_resumed = m.tls_resumed();
  c.http2_goaways = m.http2_goaways();
  c.http2_refused_streams = m.http2_refused_streams();
  c.http2_flow_control_stalls = m.http2_flow_control_stalls();
}

void put_provenance(const Provenance& p, v1::Provenance* out) {
  out->set_source(p.source);
  out->set_source_version(p.source_version);
  for (const std::string& figure : p.exact) out->add_exact(figure);
  for (const std::string& figure : p.approximate) out->add_approximate(figure);
  for (const std::string& note : p.notes) out->add_notes(note);
  const LatencySummary& l = p.source_latency;
  v1::HistogramSummary* s = out->mutable_source_latency_ns();
  s->set_count(l.count);
  s->set_min(l.min_ns);
  s->set_mean(l.mean_ns);
  s->set_max(l.max_ns);
  s->set_stdev(l.stdev_ns);
  for (const auto& [percentile, ns] : l.percentiles_ns) (*s->mutable_percentiles())[percentile_name(percentile)] = ns;
}

Provenance get_provenance(const v1::Provenance& m, Reader& in) {
  Provenance p;
  p.source = m.source();
  p.source_version = m.source_version();
  p.exact.assign(m.exact().begin(), m.exact().end());
  p.approximate.assign(m.approximate().begin(), m.approximate().end());
  p.notes.assign(m.notes().begin(), m.notes().end());
  const v1::HistogramSummary& s = m.source_latency_ns();
  LatencySummary& l = p.source_latency;
  l.count = s.count();
  l.min_ns = s.min();
  l.mean_ns = s.mean();
  l.max_ns = s.max();
  l.stdev_ns = s.stdev();
  for (const auto& [key, ns] : s.percentiles()) {
    const std::optional<double> percentile = percentile_from_name(key);
    if (!percentile) {
      in.fail("provenance.source_latency_ns.percentiles has a key that is not a percentile: '" + key + "'");
      continue;
    }
    l.percentiles_ns[*percentile] = ns;
  }
  return p;
}

void put_slos(const RunResult& r, v1::RunResult& m) {
  for (const SloVerdict& v : r.slos) {
    v1::SloVerdict* out = m.add_slos();
    out->set_expr(v.expr);
    out->set_metric(v.metric);
    out->set_op(v.op);
    out->set_threshold(v.threshold);
    if (v.has_measured) out->set_measured(v.measured);
    out->set_pass(v.pass);
    out->set_window_length_s(v.window_s);
    out->set_windows(v.windows);
    out->set_failed_windows(v.failed_windows);
    if (v.has_worst_window) {
      v1::SloWindow* w = out->mutable_worst_window();
      w->set_start_s(v.worst_start_s);
      w->set_end_s(v.worst_end_s);
      if (v.worst_has_measured) w->set_measured(v.worst_measured);
    }
  }
  if (r.slo_abort.aborted) {
    v1::SloAbort* out = m.mutable_aborted_by_slo();
    out->set_expr(r.slo_abort.expr);
    out->mutable_window()->set_start_s(r.slo_abort.window_start_s);
    out->mutable_window()->set_end_s(r.slo_abort.window_end_s);
    if (r.slo_abort.has_measured) out->mutable_window()->set_measured(r.slo_abort.measured);
  }
}

void get_slos(const v1::RunResult& m, RunResult& r) {
  for (const v1::SloVerdict& in : m.slos()) {
    SloVerdict v;
    v.expr = in.expr();
    v.metric = in.metric();
    v.op = in.op();
    v.threshold = in.threshold();
    v.has_measured = in.has_measured();
    v.measured = in.measured();
    v.pass = in.pass();
    v.window_s = in.window_length_s();
    v.windows = in.windows();
    v.failed_windows = in.failed_windows();
    v.has_worst_window = in.has_worst_window();
    v.worst_start_s = in.worst_window().start_s();
    v.worst_end_s = in.worst_window().end_s();
    v.worst_has_measured = in.worst_window().has_measured();
    v.worst_measured = in.worst_window().measured();
    r.slos.push_back(std::move(v));
  }
  if (m.has_aborted_by_slo()) {
    r.slo_abort.aborted = true;
    r.slo_abort.expr = m.aborted_by_slo().expr();
    r.slo_abort.window_start_s = m.aborted_by_slo().window().start_s();
    r.slo_abort.window_end_s = m.aborted_by_slo().window().end_s();
    r.slo_abort.has_measured = m.aborted_by_slo().window().has_measured();
    r.slo_abort.measured = m.aborted_by_slo().window().measured();
  }
}

}  // namespace

void to_proto(const Counters& c, v1::Counters* out) {
  out->set_sent(c.sent);
  out->set_completed(c.completed);
  out->set_dropped(c.dropped);
  out->set_queued(c.queued);
  out->set_cancelled(c.cancelled);
  out->set_warmup_completed(c.warmup_completed);
  out->set_non_2xx(c.non_2xx);
  put_connection_counters(c, out);
  for (int k = 0; k < kErrorKindCount; ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    if (c.errors_of(kind) != 0) (*out->mutable_errors_by_kind())[std::string(error_kind_name(kind))] = c.errors_of(kind);
  }
}

Counters from_proto(const v1::Counters& m) {
  Counters c;
  c.sent = m.sent();
  c.completed = m.completed();
  c.dropped = m.dropped();
  c.queued = m.queued();
  c.cancelled = m.cancelled();
  c.warmup_completed = m.warmup_completed();
  c.non_2xx = m.non_2xx();
  get_connection_counters(m, c);
  for (const auto& [name, count] : m.errors_by_kind()) {
    c.errors_of(error_kind_from_name(name).value_or(ErrorKind::kOther)) += count;
  }
  return c;
}

v1::RunResult to_proto(const RunResult& r) {
  v1::RunResult m;
  m.set_tool("nightjar");
  m.set_schema(kResultSchema);
  m.set_test_name(r.options.test_name);
  for (const auto& [key, value] : r.options.labels) (*m.mutable_labels())[key] = value;
  put_options(r.options, m.mutable_options());
  m.set_open_loop(r.open_loop);
  m.set_interrupted(r.interrupted);
  m.set_start_unix_ns(r.start_unix_ns);
  m.set_duration_ns(r.measured_ns);
  m.set_requested_rps(r.options.requested_rps);
  // The counters, where the JSON form has them.
  const Counters& c = r.counters;
  v1::Requests* rq = m.mutable_requests();
  rq->set_sent(c.sent);
  rq->set_completed(c.completed);
  rq->set_errors(c.errors());
  rq->set_dropped(c.dropped);
  rq->set_queued(c.queued);
  rq->set_cancelled(c.cancelled);
  rq->set_warmup_completed(c.warmup_completed);
  for (int k = 0; k < kErrorKindCount; ++k) {
    const auto kind = static_cast<ErrorKind>(k);
    (*m.mutable_errors_by_kind())[std::string(error_kind_name(kind))] = c.errors_of(kind);
  }
  put_connection_counters(c, &m);
  for (const auto& [code, count] : r.status_codes) (*m.mutable_status_codes())[std::to_string(code)] = count;
  for (const auto& [code, count] : r.grpc_status_codes) (*m.mutable_grpc_status_codes())[grpc_status_name(code)] = count;
  for (const auto& [kind, detail] : r.error_details) (*m.mutable_error_details())[kind] = detail;
  m.set_protocol(r.protocol);
  m.set_tls_version(r.tls_version);
  for (const std::string& address : r.target_addresses) m.add_target_addresses(address);
  v1::RunHistograms* hs = m.mutable_histograms();
  hs->set_latency(stats::encode_base64(r.latency));
  hs->set_service_time(stats::encode_base64(r.service_time));
  hs->set_schedule_lag(stats::encode_base64(r.schedule_lag));
  for (const TimelineEntry& e : r.timeline) {
    v1::TimelineEntry* t = m.add_timeline();
    t->set_second(e.second);
    t->set_duration_s(e.duration_s);
    t->set_sent(e.counters.sent);
    t->set_completed(e.counters.completed);
    t->set_errors(e.counters.errors());
    t->set_dropped(e.counters.dropped);
    t->set_non_2xx(e.counters.non_2xx);
    v1::TimelineLatency* lat = t->mutable_latency_ns();
    lat->set_p50(e.latency_p50_ns);
    lat->set_p90(e.latency_p90_ns);
    lat->set_p99(e.latency_p99_ns);
    lat->set_max(e.latency_max_ns);
    t->mutable_service_time_ns()->set_p50(e.service_time_p50_ns);
    t->mutable_service_time_ns()->set_p99(e.service_time_p99_ns);
    v1::IntervalHistograms* th = t->mutable_histograms();
    put_base64_histogram(e.latency_histogram, th->mutable_latency_v2(), th->mutable_latency());
    put_base64_histogram(e.service_time_histogram, th->mutable_service_time_v2(),
                         th->mutable_service_time());
  }
  for (const ShardResult& s : r.shards) {
    v1::Shard* out = m.add_shards();
    out->set_name(s.name);
    out->set_sent(s.counters.sent);
    out->set_completed(s.counters.completed);
    out->set_errors(s.counters.errors());
    out->set_dropped(s.counters.dropped);
    put_histograms(s.latency, s.service_time, out->mutable_histograms());
  }
  m.set_partial(r.partial);
  put_slos(r, m);
  for (const WorkerStatus& w : r.workers) {
    v1::WorkerStatus* out = m.add_workers();
    out->set_name(w.name);
    out->set_clock_offset_ns(w.clock_offset_ns);
    out->set_round_trip_ns(w.round_trip_ns);
    out->set_failed(w.failed);
    out->set_failure(w.failure);
    out->set_failed_after_ns(w.failed_after_ns);
    out->set_stream_bytes(w.stream_bytes);
  }
  if (r.provenance.imported()) put_provenance(r.provenance, m.mutable_provenance());
  return m;
}

Result<RunResult> from_proto(const v1::RunResult& m) {
  if (m.tool() != "nightjar") return Status::invalid_argument("not a nightjar result (tool is '" + m.tool() + "')");
  if (m.schema() > kResultSchema || m.schema() < 0) {
    return Status::invalid_argument("schema " + std::to_string(m.schema()) + " is not one this nightjar reads (0 to " +
                                    std::to_string(kResultSchema) + "): it was written by a newer nightjar");
  }
  Reader in;
  RunResult r;
  r.options = get_options(m.options());
  r.options.test_name = m.test_name();
  r.options.labels.insert(m.labels().begin(), m.labels().end());
  r.open_loop = m.open_loop();
  r.interrupted = m.interrupted();
  r.start_unix_ns = m.start_unix_ns();
  r.measured_ns = m.duration_ns();
  if (r.measured_ns < 0) in.fail("duration_ns must not be negative");
  if (__builtin_add_overflow(r.start_unix_ns, r.measured_ns, &r.end_unix_ns)) {
    in.fail("start_unix_ns + duration_ns is beyond the year 2262");
  }
  Counters& c = r.counters;
  c.sent = m.requests().sent();
  c.completed = m.requests().completed();
  c.dropped = m.requests().dropped();
  c.queued = m.requests().queued();
  c.cancelled = m.requests().cancelled();
  c.warmup_completed = m.requests().warmup_completed();
  for (const auto& [name, count] : m.errors_by_kind()) {
    c.errors_of(error_kind_from_name(name).value_or(ErrorKind::kOther)) += count;
  }
  // Errors counted without a kind (a reader that knows fewer kinds wrote them) count as other.
  if (const int64_t unnamed = m.requests().errors() - c.errors(); unnamed > 0) c.errors_of(ErrorKind::kOther) += unnamed;
  get_connection_counters(m, c);
  for (const auto& [key, count] : m.status_codes()) {
    int code = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), code);
    if (ec != std::errc() || end != key.data() + key.size()) {
      in.fail("status_codes has a key that is not a number: '" + key + "'");
      continue;
    }
    r.status_codes[code] = count;
  }
  for (const auto& [name, count] : m.grpc_status_codes()) {
    const int code = grpc_status_code(name);
    if (code < 0) {
      in.fail("grpc_status_codes has an unknown status name: '" + name + "'");
      continue;
    }
    r.grpc_status_codes[code] = count;
  }
  r.error_details.insert(m.error_details().begin(), m.error_details().end());
  // Schema 0 had no field for the protocol spoken: options.protocol said it.
  r.protocol = m.protocol().empty() ? r.options.protocol : m.protocol();
  r.tls_version = m.tls_version();
  r.target_addresses.assign(m.target_addresses().begin(), m.target_addresses().end());
  r.latency = in.histogram(m.histograms().latency(), "histograms.latency");
  r.service_time = in.histogram(m.histograms().service_time(), "histograms.service_time");
  r.schedule_lag = in.histogram(m.histograms().schedule_lag(), "histograms.schedule_lag");
  for (int i = 0; i < m.timeline_size(); ++i) {
    const v1::TimelineEntry& t = m.timeline(i);
    TimelineEntry e;
    e.second = t.second();
    e.duration_s = t.duration_s();
    e.counters.sent = t.sent();
    e.counters.completed = t.completed();
    e.counters.errors_of(ErrorKind::kOther) = t.errors();  // a second's errors are kept as a total
    e.counters.dropped = t.dropped();
    e.counters.non_2xx = t.non_2xx();
    e.latency_p50_ns = t.latency_ns().p50();
    e.latency_p90_ns = t.latency_ns().p90();
    e.latency_p99_ns = t.latency_ns().p99();
    e.latency_max_ns = t.latency_ns().max();
    e.service_time_p50_ns = t.service_time_ns().p50();
    e.service_time_p99_ns = t.service_time_ns().p99();
    e.latency_histogram = base64_histogram(t.histograms().latency_v2(), t.histograms().latency());
    e.service_time_histogram =
        base64_histogram(t.histograms().service_time_v2(), t.histograms().service_time());
    r.timeline.push_back(std::move(e));
  }
  for (int i = 0; i < m.shards_size(); ++i) {
    const v1::Shard& s = m.shards(i);
    const std::string field = "shards[" + std::to_string(i) + "].histograms.";
    ShardResult out;
    out.name = s.name();
    out.counters.sent = s.sent();
    out.counters.completed = s.completed();
    out.counters.errors_of(ErrorKind::kOther) = s.errors();  // a shard's errors are kept as a total
    out.counters.dropped = s.dropped();
    out.latency = in.histogram(s.histograms().latency_v2(), s.histograms().latency(), field + "latency");
    out.service_time = in.histogram(s.histograms().service_time_v2(), s.histograms().service_time(),
                                    field + "service_time");
    r.shards.push_back(std::move(out));
  }
  r.partial = m.partial();
  get_slos(m, r);
  for (const v1::WorkerStatus& w : m.workers()) {
    WorkerStatus out;
    out.name = w.name();
    out.clock_offset_ns = w.clock_offset_ns();
    out.round_trip_ns = w.round_trip_ns();
    out.failed = w.failed();
    out.failure = w.failure();
    out.failed_after_ns = w.failed_after_ns();
    out.stream_bytes = w.stream_bytes();
    r.workers.push_back(std::move(out));
  }
  if (m.has_provenance()) r.provenance = get_provenance(m.provenance(), in);
  if (!in.error().empty()) return Status::invalid_argument(in.error());
  return r;
}

std::string to_proto_bytes(const RunResult& result) {
  const v1::RunResult message = to_proto(result);
  // Sized once and written in place: a growing string would copy a long run's megabytes
  // several times over.
  std::string bytes(message.ByteSizeLong(), '\0');
  {
    google::protobuf::io::ArrayOutputStream stream(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&out);
  }
  return bytes;
}

void to_proto(const std::vector<RateSegment>& shape, RateSegments* out) {
  for (const RateSegment& segment : shape) {
    v1::RateSegment* m = out->Add();
    m->set_duration_ns(segment.duration_ns);
    m->set_from_rps(segment.from_rps);
    m->set_to_rps(segment.to_rps);
  }
}

std::vector<RateSegment> from_proto(const RateSegments& message) {
  std::vector<RateSegment> shape;
  shape.reserve(static_cast<size_t>(message.size()));
  for (const v1::RateSegment& m : message) shape.push_back({m.duration_ns(), m.from_rps(), m.to_rps()});
  return shape;
}

}  // namespace nightjar::model
