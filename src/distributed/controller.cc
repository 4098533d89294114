#include "distributed/controller.h"

#include "common/version.h"
#include "common/clock.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "common/duration.h"
#include "distributed/spec.h"
#include "model/merge.h"
#include "nightjar/v1/worker.grpc.pb.h"
#include "model/result_proto.h"
#include "stats/hdr_encoding.h"

namespace nightjar::distributed {
namespace {

namespace asio = boost::asio;
namespace v1 = nightjar::v1;


constexpr int kClockProbes = 3;
constexpr auto kCheckDeadline = std::chrono::seconds(5);

// One worker as the run goes on. Members written by its reader thread are guarded by mutex.
struct Remote {
  Remote() = default;
  Remote(const Remote&) = delete;
  Remote& operator=(const Remote&) = delete;
  // On any way out of the run, a reader still blocked on the stream is freed and joined.
  ~Remote() {
    if (reader.joinable()) {
      context.TryCancel();
      reader.join();
    }
  }

  std::string name;
  std::unique_ptr<v1::Worker::Stub> stub;
  int64_t offset_ns = 0;
  int64_t round_trip_ns = 0;

  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ControllerMessage, v1::WorkerMessage>> stream;
  std::mutex write_mutex;  // one writer at a time on the stream
  std::thread reader;

  std::mutex mutex;
  bool done = false;                      // guarded by mutex
  bool has_final = false;                 // guarded by mutex
  model::RunResult final_result;          // guarded by mutex
  std::string failure;                    // guarded by mutex
  int64_t failed_at_unix_ns = 0;          // guarded by mutex
  // How the worker ended the call (guarded by mutex): INVALID_ARGUMENT or PERMISSION_DENIED
  // mean it refused the run itself.
  grpc::StatusCode end_code = grpc::StatusCode::OK;
  std::string end_message;                // guarded by mutex
  std::vector<v1::Interval> intervals;    // guarded by mutex: not yet taken by the main loop
  int64_t stream_bytes = 0;               // guarded by mutex

  // What its intervals said so far (main thread only): the statistics a failed worker
  // leaves behind.
  model::RunResult streamed;
  int64_t latest_second = -1;  // main thread only: the last second it streamed
};

bool uses_tls(const ControllerOptions& o) { return o.tls || !o.ca_pem.empty() || !o.cert_pem.empty(); }

std::shared_ptr<grpc::ChannelCredentials> credentials(const ControllerOptions& o) {
  if (!uses_tls(o)) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = o.ca_pem;
  ssl.pem_private_key = o.key_pem;
  ssl.pem_cert_chain = o.cert_pem;
  return grpc::SslCredentials(ssl);
}

void authorize(grpc::ClientContext& context, const ControllerOptions& o) {
  if (!o.token.empty()) context.AddMetadata("authorization", "Bearer " + o.token);
}

std::string describe(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE: return "unreachable (" + status.error_message() + ")";
    case grpc::StatusCode::UNAUTHENTICATED: return "refused the token (" + status.error_message() + ")";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "did not answer in time";
    default: return status.error_message();
  }
}

// Checks one worker and estimates its clock offset from the probe with the shortest round trip.
Status check(Remote& remote, const ControllerOptions& o) {
  int64_t best_rtt = INT64_MAX;
  for (int i = 0; i < kClockProbes; ++i) {
    grpc::ClientContext context;
    authorize(context, o);
    context.set_deadline(std::chrono::system_clock::now() + kCheckDeadline);
    v1::WorkerInfo info;
    const int64_t sent = unix_now_ns();
    const grpc::Status status = remote.stub->Info(&context, v1::InfoRequest(), &info);
    const int64_t received = unix_now_ns();
    if (!status.ok()) return Status::unavailable("worker " + remote.name + ": " + describe(status));
    if (info.version() != kVersion) {
      return Status::unavailable("worker " + remote.name + ": version " + info.version() +
                                 " is not compatible with this controller's " + kVersion);
    }
    if (!info.current_run_id().empty()) {
      return Status::unavailable("worker " + remote.name + ": busy with run '" + info.current_run_id() + "'");
    }
    if (received - sent < best_rtt) {
      best_rtt = received - sent;
      remote.round_trip_ns = best_rtt;
      remote.offset_ns = info.unix_ns() - (sent + best_rtt / 2);
    }
  }
  return {};
}

std::string new_run_id() {
  std::random_device seed;
  std::mt19937_64 rng(seed());
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

int64_t share(int64_t total, int64_t parts, int64_t index) { return total / parts + (index < total % parts ? 1 : 0); }

bool refused_the_run(grpc::StatusCode code) {
  return code == grpc::StatusCode::INVALID_ARGUMENT || code == grpc::StatusCode::PERMISSION_DENIED;
}

// The thread body that follows one worker's stream: intervals, the final result, and how
// the call ended. Nothing escapes it; `done` is always set.
void follow(Remote& r) {
  try {
    v1::WorkerMessage incoming;
    while (r.stream->Read(&incoming)) {
      std::lock_guard lock(r.mutex);
      r.stream_bytes += static_cast<int64_t>(incoming.ByteSizeLong());
      if (incoming.has_interval()) r.intervals.push_back(incoming.interval());
      if (incoming.has_final()) {
        auto result = model::from_proto(incoming.final().result());
        if (result.ok()) {
          r.final_result = std::move(*result);
          r.has_final = true;
        } else {
          r.failure = "unreadable final result: " + result.status().message();
        }
        break;
      }
      if (incoming.has_failed()) {
        const int32_t code = incoming.failed().code();
        r.end_code = code > 0 && code <= grpc::StatusCode::UNAUTHENTICATED ? static_cast<grpc::StatusCode>(code)
                                                                           : grpc::StatusCode::UNKNOWN;
        r.end_message = incoming.failed().message();
        r.failure = describe(grpc::Status(r.end_code, r.end_message));
        break;
      }
    }
    {
      // Tell the worker we are done, then collect its status.
      std::lock_guard write_lock(r.write_mutex);
      r.stream->WritesDone();
    }
    const grpc::Status status = r.stream->Finish();
    std::lock_guard lock(r.mutex);
    if (r.end_code == grpc::StatusCode::OK) {  // a Failed message already said how it ended
      r.end_code = status.error_code();
      r.end_message = status.error_message();
    }
    if (!r.has_final && r.failure.empty()) r.failure = status.ok() ? "ended without a result" : describe(status);
  } catch (const std::exception& e) {
    std::lock_guard lock(r.mutex);
    if (r.failure.empty()) r.failure = std::string("following the worker failed: ") + e.what();
  } catch (...) {
    std::lock_guard lock(r.mutex);
    if (r.failure.empty()) r.failure = "following the worker failed";
  }
  std::lock_guard lock(r.mutex);
  if (!r.has_final) r.failed_at_unix_ns = unix_now_ns();
  r.done = true;
}

Result<model::RunResult> run_on_workers(const load::LoadOptions& options, const ControllerOptions& controller,
                                        const load::RunControl& control);

}  // namespace

Result<std::vector<WorkerAddress>> expand_workers(const std::vector<std::string>& entries) {
  std::vector<WorkerAddress> out;
  for (const std::string& entry : entries) {
    if (entry.rfind("dns:", 0) != 0) {
      if (entry.find(':') == std::string::npos) {
        return Status::invalid_argument("--workers entry '" + entry + "' needs a port (HOST:PORT or dns:NAME:PORT)");
      }
      out.push_back({entry, ""});
      continue;
    }
    const std::string rest = entry.substr(4);
    const size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::invalid_argument("--workers entry '" + entry + "' needs the form dns:NAME:PORT");
    }
    const std::string name = rest.substr(0, colon);
    const std::string port = rest.substr(colon + 1);
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto results = resolver.resolve(name, port, ec);
    if (ec || results.empty()) {
      return Status::unavailable("--workers '" + entry + "': cannot resolve '" + name + "': " +
                                 (ec ? ec.message() : "no addresses"));
    }
    std::vector<WorkerAddress> found;
    for (const auto& r : results) {
      const auto address = r.endpoint().address();
      const std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
      const std::string target = text + ":" + port;
      if (std::none_of(found.begin(), found.end(), [&](const WorkerAddress& w) { return w.address == target; })) {
        found.push_back({target, name});
      }
    }
    out.insert(out.end(), found.begin(), found.end());
  }
  if (out.empty()) return Status::invalid_argument("--workers names no worker");
  return out;
}

Result<model::RunResult> run_distributed(const load::LoadOptions& options, const ControllerOptions& controller,
                                         const load::RunControl& control) {
  try {
    return run_on_workers(options, controller, control);
  } catch (const std::exception& e) {
    return Status::internal(std::string("the distributed run failed: ") + e.what());
  } catch (...) {
    return Status::internal("the distributed run failed");
  }
}

namespace {

Result<model::RunResult> run_on_workers(const load::LoadOptions& options, const ControllerOptions& controller,
                                        const load::RunControl& control) {
  if (controller.lease_ns < kMinLeaseNs || controller.lease_ns > kMaxLeaseNs) {
    return Status::invalid_argument("--lease " + format_duration_ns(controller.lease_ns) + " is outside " +
                                    format_duration_ns(kMinLeaseNs) + ".." + format_duration_ns(kMaxLeaseNs));
  }
  if (!options.tls.cert_file.empty()) {
    return Status::invalid_argument(
        "--cert (a client certificate for the target) cannot be used with --workers: its key would travel to "
        "every worker; give each worker its own run instead");
  }
  auto addresses = expand_workers(controller.workers);
  if (!addresses.ok()) return addresses.status();

  // Check every worker first.
  std::vector<std::unique_ptr<Remote>> remotes;
  std::vector<std::pair<std::string, std::string>> problems;  // worker, what is wrong with it
  const auto creds = credentials(controller);
  for (const WorkerAddress& address : *addresses) {
    auto remote = std::make_unique<Remote>();
    remote->name = address.address;
    grpc::ChannelArguments arguments;
    // A Final carries every second's histograms (about 2 KB a second of run): a long run's
    // is larger than gRPC's default 4 MiB.
    arguments.SetMaxReceiveMessageSize(kMaxWorkerMessageBytes);
    if (uses_tls(controller) && !address.tls_name.empty()) arguments.SetSslTargetNameOverride(address.tls_name);
    remote->stub = v1::Worker::NewStub(grpc::CreateCustomChannel(address.address, creds, arguments));
    if (Status s = check(*remote, controller); !s.ok()) {
      problems.emplace_back(address.address, s.message());
      continue;
    }
    remotes.push_back(std::move(remote));
  }
  const size_t needed = controller.min_workers > 0 ? static_cast<size_t>(controller.min_workers) : addresses->size();
  if (remotes.size() < needed || remotes.empty()) {
    std::string message = std::to_string(remotes.size()) + " of " + std::to_string(addresses->size()) +
                          " workers are usable, " + std::to_string(needed) + " needed";
    for (const auto& [name, problem] : problems) message += "\n  " + problem;
    return Status::unavailable(message);
  }
  const int64_t count = static_cast<int64_t>(remotes.size());
  if (options.run.connections < count) {
    return Status::invalid_argument("--connections " + std::to_string(options.run.connections) +
                                    " is fewer than the " + std::to_string(count) + " workers");
  }

  // A common start a moment ahead, converted to each worker's clock.
  int64_t max_rtt = 0;
  for (const auto& r : remotes) max_rtt = std::max(max_rtt, r->round_trip_ns);
  const int64_t start_unix = unix_now_ns() + std::max<int64_t>(500 * kNanosPerMilli, 4 * max_rtt) +
                             std::min<int64_t>(options.run.timeout_ns, 2 * kNanosPerSecond);
  const std::string run_id = new_run_id();

  std::vector<v1::ControllerMessage> starts;
  for (int64_t k = 0; k < count; ++k) {
    const Remote& r = *remotes[static_cast<size_t>(k)];
    load::LoadOptions part = options;
    part.run.connections = static_cast<int>(share(options.run.connections, count, k));
    part.run.max_pending = share(options.run.max_pending, count, k);
    v1::ControllerMessage& message = starts.emplace_back();
    v1::Start* start = message.mutable_start();
    start->set_run_id(run_id);
    *start->mutable_spec() = to_spec(part);
    start->set_shard_index(static_cast<uint64_t>(k));
    start->set_shard_count(static_cast<uint64_t>(count));
    start->set_start_unix_ns(start_unix + r.offset_ns);
    start->set_lease_ns(controller.lease_ns);
    if (message.ByteSizeLong() > kMaxStartBytes) {
      return Status::invalid_argument(
          "the test's settings are " + std::to_string(message.ByteSizeLong() >> 10) +
          " KiB, more than the " + std::to_string(kMaxStartBytes >> 20) +
          " MiB a worker accepts: the request body (--body, --body-file), the gRPC message (--grpc-data-file), the "
          "headers and the CA (--ca-file) travel to every worker");
    }
  }
  for (int64_t k = 0; k < count; ++k) {
    Remote& r = *remotes[static_cast<size_t>(k)];
    authorize(r.context, controller);
    r.stream = r.stub->Run(&r.context);
    // A failed write shows in the stream's end status, which the reader collects.
    r.stream->Write(starts[static_cast<size_t>(k)]);
    r.reader = std::thread(follow, std::ref(r));
  }

  // Follow the run: heartbeats, cancel on Ctrl-C, a combined progress line.
  std::map<int64_t, model::SecondAccumulator> seconds;
  model::Counters so_far;  // every second streamed by any worker, for the progress line
  bool cancelled = false;
  bool interrupted = false;  // cancelled by control.stop, not by control.end_early
  int64_t passed_on = -1;    // the seconds up to this one went to control.on_interval
  bool refused = false;  // a worker refused the run: every other worker was cancelled
  auto last_heartbeat = std::chrono::steady_clock::now();
  const auto heartbeat_every = std::chrono::nanoseconds(std::max<int64_t>(controller.lease_ns / 4, kNanosPerMilli));
  auto send_all = [&](const v1::ControllerMessage& message) {
    for (auto& r : remotes) {
      bool done = false;
      {
        std::lock_guard lock(r->mutex);
        done = r->done || r->has_final;
      }
      if (done || r->stream == nullptr) continue;
      std::lock_guard write_lock(r->write_mutex);
      r->stream->Write(message);
    }
  };
  for (;;) {
    bool all_done = true;
    bool any_refusal = false;
    int64_t complete_through = INT64_MAX;  // every worker still running streamed the seconds up to this one
    for (auto& r : remotes) {
      std::lock_guard lock(r->mutex);
      all_done = all_done && r->done;
      any_refusal = any_refusal || (r->done && refused_the_run(r->end_code));
      for (const v1::Interval& in : r->intervals) {
        model::SecondAccumulator& s = seconds[in.second()];
        model::SecondAccumulator own;
        if (auto h = stats::decode_base64(in.latency_histogram()); h.ok()) own.latency = std::move(*h);
        if (auto h = stats::decode_base64(in.service_time_histogram()); h.ok()) own.service_time = std::move(*h);
        own.counters = model::from_proto(in.counters());
        own.duration_s = in.duration_s();
        r->streamed.latency.add(own.latency);
        r->streamed.service_time.add(own.service_time);
        r->streamed.counters.add(own.counters);
        r->streamed.measured_ns += static_cast<int64_t>(own.duration_s * 1e9);
        r->streamed.timeline.push_back(own.summarize(in.second()));
        s.latency.add(own.latency);
        s.service_time.add(own.service_time);
        s.counters.add(own.counters);
        r->latest_second = std::max(r->latest_second, in.second());
        s.duration_s = std::max(s.duration_s, in.duration_s());
        so_far.add(own.counters);
      }
      r->intervals.clear();
      if (!r->done) complete_through = std::min(complete_through, r->latest_second);
    }
    // The merged seconds every worker has sent, in order (an SLO judge follows them live).
    if (control.on_interval) {
      for (auto it = seconds.upper_bound(passed_on); it != seconds.end() && it->first <= complete_through; ++it) {
        control.on_interval(it->second.summarize(it->first));
        passed_on = it->first;
      }
    }
    if (all_done) break;
    if (!refused && any_refusal) {
      // One worker refused what every worker got: the others must not run a part of it.
      v1::ControllerMessage cancel;
      cancel.mutable_cancel();
      send_all(cancel);
      refused = true;
    }
    const bool stop = control.stop != nullptr && control.stop->load();
    if (!cancelled && (stop || (control.end_early != nullptr && control.end_early->load()))) {
      v1::ControllerMessage cancel;
      cancel.mutable_cancel();
      send_all(cancel);
      cancelled = true;
      interrupted = stop;
    }
    if (std::chrono::steady_clock::now() - last_heartbeat >= heartbeat_every) {
      v1::ControllerMessage heartbeat;
      heartbeat.mutable_heartbeat();
      send_all(heartbeat);
      last_heartbeat = std::chrono::steady_clock::now();
    }
    if (control.on_progress) {
      load::Progress p;
      p.elapsed_ns = unix_now_ns() - (start_unix + options.run.warmup_ns);
      p.total_ns = options.run.duration_ns;
      p.completed = so_far.completed;
      p.errors = so_far.errors();
      if (!seconds.empty()) {
        const model::SecondAccumulator& s = seconds.rbegin()->second;
        p.current_rps = static_cast<double>(s.counters.completed) / std::max(s.duration_s, 1e-9);
        p.last_p50_ns = s.latency.value_at_percentile(50);
        p.last_p99_ns = s.latency.value_at_percentile(99);
      }
      control.on_progress(p);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& r : remotes) {
    if (r->reader.joinable()) r->reader.join();
  }
  std::string refusals;
  for (auto& r : remotes) {
    if (refused_the_run(r->end_code)) refusals += (refusals.empty() ? "" : "\n") + ("worker " + r->name + " refused the run: " + r->end_message);
  }
  if (!refusals.empty()) return Status::invalid_argument(refusals);

  // Merge what every worker sent; a failed worker is named and the result marked partial.
  std::vector<model::RunResult> parts;
  std::vector<std::string> names;
  std::vector<model::WorkerStatus> statuses;
  for (auto& r : remotes) {
    model::WorkerStatus w;
    w.name = r->name;
    w.clock_offset_ns = r->offset_ns;
    w.round_trip_ns = r->round_trip_ns;
    w.stream_bytes = r->stream_bytes;
    if (r->has_final) {
      parts.push_back(std::move(r->final_result));
      names.push_back(r->name);
    } else {
      w.failed = true;
      w.failure = r->failure;
      w.failed_after_ns = std::max<int64_t>(0, r->failed_at_unix_ns - start_unix);
      if (r->streamed.counters.sent > 0) {
        // Keep what it measured before it failed: the seconds it streamed.
        model::RunResult& part = r->streamed;
        part.options = options.run;
        part.open_loop = options.run.requested_rps > 0;
        part.start_unix_ns = start_unix + options.run.warmup_ns;
        part.end_unix_ns = part.start_unix_ns + part.measured_ns;
        parts.push_back(std::move(part));
        names.push_back(r->name + " (until it failed)");
      }
    }
    statuses.push_back(std::move(w));
  }
  for (const auto& [name, problem] : problems) {  // left out at the start (--min-workers)
    model::WorkerStatus w;
    w.name = name;
    w.failed = true;
    w.failure = problem;
    statuses.push_back(std::move(w));
  }
  model::RunResult result;
  if (!parts.empty()) {
    result = model::merge_results(parts, names);
  } else {
    result.start_unix_ns = start_unix;
  }
  // The result echoes what was asked (each worker ran a share of it); what the workers found
  // out (the protocol ALPN chose, the TLS version, the addresses) came with their parts.
  result.options = options.run;
  load::echo_tls_options(options, result.options);  // the workers got the CA's text, not its file name
  // A worker reports a cancelled run as interrupted; an SLO's stop (end_early) is none.
  result.interrupted = interrupted || (result.interrupted && !cancelled);
  result.workers = std::move(statuses);
  result.partial = std::any_of(result.workers.begin(), result.workers.end(),
                               [](const model::WorkerStatus& w) { return w.failed; });
  return result;
}

}  // namespace
}  // namespace nightjar::distributed
