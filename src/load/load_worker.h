// A LoadWorker is one thread of a local run: its own event loop, its own connections,
// its own shard of the arrival plan and its own statistics. Nothing on its hot path is
// shared with other threads; the runner merges what workers produce.
#pragma once

#include <atomic>
#include <barrier>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/http2_session.h"
#include "http/session.h"
#include "load/arrival_plan.h"
#include "load/interval_roller.h"
#include "load/pacer.h"
#include "load/reconnect_backoff.h"
#include "load/request_timeouts.h"
#include "model/run_result.h"
#include "stats/hdr_histogram.h"

namespace nightjar::load {

// What one worker is asked to do.
struct WorkerConfig {
  int id = 0;
  uint64_t shard = 0;               // this worker takes arrivals shard, shard+shards, ...
  uint64_t shards = 1;
  int connections = 1;
  const ArrivalPlan* plan = nullptr;  // null: closed loop
  int64_t plan_end_offset_ns = 0;   // open loop: arrivals before this offset (warm-up included);
                                    // closed loop: stop sending at this offset
  uint64_t max_arrivals = UINT64_MAX;  // open loop: global bound on the arrival index
  int64_t closed_loop_budget = -1;  // closed loop: requests this worker may send (-1: no bound)
  int64_t warmup_ns = 0;
  int64_t timeout_ns = 0;
  int64_t max_pending = 0;          // this worker's share of the client-side queue
  uint32_t url_count = 1;
  int max_concurrent_streams = 1;   // HTTP/2: requests in flight per connection
  bool grpc = false;                // count gRPC statuses of responses
  const tls::ClientContext* tls = nullptr;  // TLS when set (outlives the worker)
  std::string host;                 // the target's host, for SNI and verification
  // Where the worker's decisions read the time (outlives the worker). Its steady timeline
  // must be std::chrono::steady_clock's in a real run: sessions stamp completions with it.
  const Clock* clock = &system_clock();
};

// One second of one worker's measurements (see RunResult::timeline).
struct IntervalSnapshot {
  int64_t index = 0;                // seconds since the start of measurement
  int worker = 0;
  double duration_s = 1.0;
  model::Counters counters;         // counted in this second
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
};

// Everything a worker measured, merged by the runner once the thread has ended.
struct WorkerTotals {
  model::Counters counters;
  int64_t last_completion_ns = 0;    // steady clock; 0 if nothing completed
  int64_t finished_ns = 0;           // steady clock: when the worker's run ended
  model::ErrorCounts errors{};
  std::vector<int64_t> status_counts = std::vector<int64_t>(600, 0);  // index: status code
  std::map<int, int64_t> grpc_status_counts;  // gRPC runs: by status (a handful of keys)
  std::map<std::string, std::string> error_details;  // first message per error kind
  std::string tls_version;           // of the first TLS connection
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
  stats::HdrHistogram schedule_lag;
  // The worker stopped early on an exception (out of memory, in practice): what it measured
  // until then is kept; `failure` says why ("" when it could not even say that).
  bool failed = false;
  std::string failure;
};

// Workers of one run start together: each arrives once its connections are up and gets
// the common start time back.
class StartGate {
 public:
  // `start_at_steady_ns`: the earliest start (steady clock); 0 for as soon as all arrived.
  // `clock` (outlives the gate) says when they did.
  explicit StartGate(int workers, int64_t start_at_steady_ns = 0, const Clock& clock = system_clock());
  int64_t arrive_and_wait();  // returns the run's start (steady-clock ns)
  // For a worker whose thread never started: the others do not wait for it.
  void arrive_for_missing();

 private:
  struct SetStart {
    StartGate* gate;
    void operator()() noexcept;
  };
  const int64_t start_at_steady_ns_;
  const Clock& clock_;
  std::atomic<int64_t> start_ns_{0};
  std::barrier<SetStart> barrier_;
};

class LoadWorker final : public http::SessionObserver {
 public:
  // HTTP/1.1 sends `requests` (wire bytes per URL); with `http2_requests` the sessions are
  // HTTP/2 (h2c) instead.
  LoadWorker(const WorkerConfig& config, boost::asio::ip::tcp::endpoint endpoint,
             const std::vector<std::string>& requests, bool head_request,
             const std::vector<http::Http2Request>* http2_requests = nullptr);
  ~LoadWorker() override;

  // The thread body: connects, waits at the gate, runs its shard, drains, closes.
  void run(StartGate& gate) noexcept;
  // Stops the run as soon as possible (Ctrl-C); in-flight and queued requests are counted
  // as cancelled. Thread-safe.
  void request_stop();
  // Interval snapshots published since the last call. Thread-safe.
  std::vector<IntervalSnapshot> take_intervals();
  // Valid after run() returned.
  const WorkerTotals& totals() const { return totals_; }
  // The measurement start (steady ns), valid once the gate opened.
  int64_t measure_start_ns() const { return measure_start_ns_.load(); }

  // SessionObserver
  void on_connected(http::Session& session) override;
  void on_connect_failed(http::Session& session, model::ErrorKind kind) override;
  void on_response(http::Session& session, const http::InFlight& request, int status_code, int grpc_status,
                   uint64_t bytes_received, int64_t done_ns) override;
  void on_request_failed(http::Session& session, const http::InFlight& request,
                         model::ErrorKind kind, int64_t now_ns) override;
  void on_idle_close(http::Session& session) override;
  void on_request_refused(http::Session& session, const http::InFlight& request) override;
  void on_protocol_event(http::Session& session, http::ProtocolEvent event) override;

 private:
  enum class Phase { kConnecting, kRunning, kDone };

  void connect_all();
  void start_measuring();
  // Runs `body`; an exception stops this worker's run (see WorkerTotals::failed).
  template <typename F>
  void guarded(F&& body) noexcept;
  void stop_after_failure(const char* what) noexcept;
  void on_pacer();
  void schedule_pacer();
  void on_tick();
  void schedule_tick();
  void arrival(int64_t intended_ns, uint64_t index, int64_t now_ns);
  void dispatch(http::Session& session, int64_t now_ns);  // gives an idle session work
  void send(http::Session& session, const http::InFlight& request, int64_t now_ns);
  void reconnect_later(http::Session& session, int64_t now_ns, bool failed);
  void retry_connections(int64_t now_ns);
  bool any_session_up() const;
  http::Session* pop_idle();
  void push_idle(http::Session& session);
  void count_error(const http::InFlight& request, model::ErrorKind kind, int64_t now_ns);
  void note_error_detail(const http::Session& session, model::ErrorKind kind);
  void fail_pending(model::ErrorKind kind, int64_t now_ns);
  void roll_intervals(int64_t now_ns);
  void publish_interval(int64_t end_ns);
  void maybe_finish();
  void finish(bool cancelled);
  bool work_remains() const;
  // The worker's clock, read without a virtual call when it is the system clock: the pacer
  // reads it once per arrival.
  int64_t now_ns() const { return clock_is_system_ ? steady_now_ns() : clock_.steady_ns(); }

  // Constant after construction.
  const WorkerConfig config_;
  const Clock& clock_;
  const bool clock_is_system_;
  const RequestTimeouts timeouts_;

  boost::asio::io_context io_;
  boost::asio::steady_timer pacer_;
  boost::asio::steady_timer tick_;
  std::vector<std::unique_ptr<http::Session>> sessions_;
  ReconnectBackoff backoff_;             // per session
  std::vector<uint8_t> in_idle_list_;    // per session
  std::vector<int> idle_;                // stack of session ids that may be idle (checked on pop)

  // The client-side queue: arrivals waiting for a free connection (a bounded ring).
  std::vector<http::InFlight> pending_;
  size_t pending_head_ = 0;
  size_t pending_size_ = 0;

  Phase phase_ = Phase::kConnecting;
  int connects_outstanding_ = 0;
  std::optional<Pacer> arrivals_;        // open loop: this worker's shard of the plan
  bool plan_finished_ = false;
  int64_t plan_finished_ns_ = 0;
  int64_t start_ns_ = 0;
  int64_t plan_end_ns_ = 0;
  int64_t closed_loop_sent_ = 0;
  uint32_t next_url_ = 0;
  model::ErrorKind last_connect_error_ = model::ErrorKind::kConnectFailed;
  std::atomic<int64_t> measure_start_ns_{0};
  std::atomic<bool> stop_requested_{false};

  WorkerTotals totals_;

  // The current one-second interval.
  IntervalRoller intervals_;
  // Every count goes here first; each published second adds it to totals_.counters (and
  // start_measuring adds what warm-up counted), so each event is counted once.
  model::Counters counting_;
  stats::HdrHistogram interval_latency_;
  stats::HdrHistogram interval_service_;

  std::mutex mailbox_mutex_;
  std::vector<IntervalSnapshot> mailbox_;  // guarded by mailbox_mutex_
};

}  // namespace nightjar::load
