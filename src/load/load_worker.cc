#include "load/load_worker.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <sys/prctl.h>
#include <thread>

#include "http/grpc.h"
#include "http/http1_session.h"
#include "http/http2_session.h"

namespace nightjar::load {
namespace {

namespace asio = boost::asio;
using model::ErrorKind;

}  // namespace

StartGate::StartGate(int workers, int64_t start_at_steady_ns, const Clock& clock)
    : start_at_steady_ns_(start_at_steady_ns), clock_(clock), barrier_(workers, SetStart{this}) {}

void StartGate::SetStart::operator()() noexcept {
  gate->start_ns_.store(std::max(gate->clock_.steady_ns(), gate->start_at_steady_ns_));
}

int64_t StartGate::arrive_and_wait() {
  barrier_.arrive_and_wait();
  return start_ns_.load();
}

void StartGate::arrive_for_missing() { (void)barrier_.arrive_and_drop(); }

LoadWorker::LoadWorker(const WorkerConfig& config, asio::ip::tcp::endpoint endpoint,
                       const std::vector<std::string>& requests, bool head_request,
                       const std::vector<http::Http2Request>* http2_requests)
    : config_(config),
      clock_(config.clock != nullptr ? *config.clock : system_clock()),
      clock_is_system_(&clock_ == &system_clock()),
      timeouts_(config.timeout_ns),
      io_(1),
      pacer_(io_),
      tick_(io_),
      backoff_(static_cast<size_t>(std::max(config.connections, 0))),
      pending_(static_cast<size_t>(std::max<int64_t>(config.max_pending, 0))) {
  for (int i = 0; i < config.connections; ++i) {
    if (http2_requests != nullptr) {
      sessions_.push_back(std::make_unique<http::Http2Session>(
          io_, endpoint, *http2_requests, config.max_concurrent_streams, *this, i, config.tls, config.host));
    } else {
      sessions_.push_back(std::make_unique<http::Http1Session>(io_, endpoint, requests, head_request, *this, i,
                                                               config.tls, config.host));
    }
  }
  in_idle_list_.assign(sessions_.size(), 0);
  idle_.reserve(sessions_.size());
}

LoadWorker::~LoadWorker() = default;

void LoadWorker::run(StartGate& gate) noexcept {
  // Linux lets timers fire up to 50us late by default; pacing wants them on time.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  // Connect every session first, so the first requests do not pay for connection set-up.
  guarded([this] { connect_all(); });
  // Every thread arrives at the gate, even one that failed: the others wait for it.
  start_ns_ = gate.arrive_and_wait();
  guarded([this] { start_measuring(); });
  // An exception out of a handler (out of memory, in practice) ends this worker's run the
  // way a stop does: what was measured is kept, and the failure is reported.
  for (int attempt = 0; attempt < 3 && phase_ != Phase::kDone; ++attempt) {
    guarded([this] {
      io_.restart();
      io_.run();
    });
  }
  guarded([this] {
    for (auto& session : sessions_) session->close();
    const int64_t end = now_ns();
    totals_.finished_ns = end;
    roll_intervals(end);
    if (intervals_.partial_at(end)) publish_interval(end);
  });
  // What no published second took (counted after the last one, or a run that never started).
  totals_.counters.add(counting_);
  counting_ = {};
}

void LoadWorker::connect_all() {
  const int64_t connect_deadline = timeouts_.connect_deadline_ns(now_ns());
  connects_outstanding_ = static_cast<int>(sessions_.size());
  for (auto& session : sessions_) session->connect(now_ns());
  while (connects_outstanding_ > 0 && !stop_requested_.load() && now_ns() < connect_deadline) {
    io_.run_one_for(std::chrono::milliseconds(10));
  }
  if (connects_outstanding_ > 0) {
    for (auto& session : sessions_) {
      if (session->state() == http::Session::State::kConnecting) session->check_timeouts(now_ns(), 1);
    }
  }
}

void LoadWorker::start_measuring() {
  // A start set for later (a distributed run's common moment): wait for it, connected.
  if (start_ns_ > now_ns()) std::this_thread::sleep_until(clock_.timer_time(start_ns_));
  const int64_t measure_start = start_ns_ + config_.warmup_ns;
  measure_start_ns_.store(measure_start);
  intervals_.start(measure_start);
  plan_end_ns_ = config_.plan_end_offset_ns > INT64_MAX - start_ns_ ? INT64_MAX
                                                                    : start_ns_ + config_.plan_end_offset_ns;
  if (totals_.failed) {  // failed before the start
    phase_ = Phase::kDone;
    return;
  }
  phase_ = Phase::kRunning;
  if (stop_requested_.load()) {
    finish(true);
    return;
  }
  const int64_t now = now_ns();
  if (config_.plan != nullptr) {
    arrivals_.emplace(*config_.plan, config_.shard, config_.shards, config_.plan_end_offset_ns, start_ns_,
                      config_.max_arrivals);
    schedule_pacer();
  } else {
    for (auto& session : sessions_) {
      if (session->can_send()) dispatch(*session, now);
    }
  }
  retry_connections(now);
  schedule_tick();
  maybe_finish();
}

template <typename F>
void LoadWorker::guarded(F&& body) noexcept {
  try {
    body();
  } catch (const std::exception& e) {
    stop_after_failure(e.what());
  } catch (...) {
    stop_after_failure("unknown exception");
  }
}

void LoadWorker::stop_after_failure(const char* what) noexcept {
  try {
    if (totals_.failure.empty()) totals_.failure = std::string("thread ") + std::to_string(config_.id) + ": " + what;
  } catch (...) {  // out of memory even for the message: the flag below still says it
  }
  totals_.failed = true;
  try {
    if (phase_ == Phase::kRunning) {
      finish(true);
    } else {
      phase_ = Phase::kDone;
      io_.stop();
    }
  } catch (...) {
    phase_ = Phase::kDone;
  }
}

void LoadWorker::request_stop() {
  stop_requested_.store(true);
  asio::post(io_, [this] {
    if (phase_ == Phase::kRunning) finish(true);
  });
}

std::vector<IntervalSnapshot> LoadWorker::take_intervals() {
  std::lock_guard lock(mailbox_mutex_);
  std::vector<IntervalSnapshot> out;
  out.swap(mailbox_);
  return out;
}

// --- open loop pacing -------------------------------------------------------------

void LoadWorker::schedule_pacer() {
  if (arrivals_->done()) {
    plan_finished_ = true;
    plan_finished_ns_ = now_ns();
    maybe_finish();
    return;
  }
  pacer_.expires_at(clock_.timer_time(arrivals_->next_wake_ns()));
  pacer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == Phase::kRunning) on_pacer();
  });
}

void LoadWorker::on_pacer() {
  // Every arrival that is due goes out now; latency is still timed from its intended start.
  // Each send reads the clock again, so a burst does not share one send time. A burst is
  // capped (Pacer::kMaxBurst): the rest is taken when the (already expired) timer fires
  // again, after the handlers that were waiting, so reads, timeouts and a stop are never
  // starved.
  arrivals_->begin_turn();
  int64_t now = now_ns();
  while (const std::optional<Pacer::Arrival> due = arrivals_->take_due(now)) {
    arrival(due->intended_ns, due->index, now);
    now = now_ns();
  }
  if (phase_ == Phase::kRunning) schedule_pacer();
}

void LoadWorker::arrival(int64_t intended_ns, uint64_t index, int64_t now) {
  const http::InFlight request{intended_ns, 0, static_cast<uint32_t>(index % config_.url_count),
                               intended_ns < measure_start_ns_.load(std::memory_order_relaxed)};
  if (http::Session* session = pop_idle()) {
    send(*session, request, now);
    if (session->can_send()) push_idle(*session);  // more streams free on it
    return;
  }
  if (!any_session_up()) {
    retry_connections(now);
    if (!any_session_up()) {
      // Nothing can carry it now or soon: fail fast instead of queueing behind a dead target.
      count_error(request, last_connect_error_, now);
      return;
    }
  }
  if (pending_size_ == pending_.size()) {
    if (!request.warmup) ++counting_.dropped;
    return;
  }
  pending_[(pending_head_ + pending_size_) % pending_.size()] = request;
  ++pending_size_;
  if (!request.warmup) ++counting_.queued;
}

// --- sending -------------------------------------------------------------------------

void LoadWorker::dispatch(http::Session& session, int64_t now) {
  // A multiplexing session (HTTP/2) takes requests until its streams are full; an HTTP/1.1
  // one takes one.
  while (session.can_send()) {
    if (pending_size_ > 0) {
      const http::InFlight request = pending_[pending_head_];
      pending_head_ = (pending_head_ + 1) % pending_.size();
      --pending_size_;
      send(session, request, now);
      continue;
    }
    if (config_.plan != nullptr || plan_finished_) break;
    if (now >= plan_end_ns_ ||
        (config_.closed_loop_budget >= 0 && closed_loop_sent_ >= config_.closed_loop_budget)) {
      plan_finished_ = true;
      plan_finished_ns_ = now;
      break;
    }
    const http::InFlight request{now, 0, next_url_, now < measure_start_ns_.load(std::memory_order_relaxed)};
    if (!request.warmup) ++closed_loop_sent_;  // the budget counts measured requests only
    next_url_ = next_url_ + 1 == config_.url_count ? 0 : next_url_ + 1;
    send(session, request, now);
  }
  if (session.can_send()) push_idle(session);
  maybe_finish();
}

void LoadWorker::send(http::Session& session, const http::InFlight& request, int64_t now) {
  if (!request.warmup) {
    ++counting_.sent;
    totals_.schedule_lag.record(now - request.intended_ns);
  }
  session.send(request, now);
}

http::Session* LoadWorker::pop_idle() {
  while (!idle_.empty()) {
    const int id = idle_.back();
    idle_.pop_back();
    in_idle_list_[static_cast<size_t>(id)] = 0;
    if (sessions_[static_cast<size_t>(id)]->can_send()) return sessions_[static_cast<size_t>(id)].get();
  }
  return nullptr;
}

void LoadWorker::push_idle(http::Session& session) {
  const auto id = static_cast<size_t>(session.id());
  if (in_idle_list_[id] == 0) {
    in_idle_list_[id] = 1;
    idle_.push_back(session.id());
  }
}

// --- session events ------------------------------------------------------------------

void LoadWorker::on_connected(http::Session& session) {
  ++counting_.connections_opened;
  if (session.transport().is_tls()) {
    ++counting_.tls_handshakes;
    if (session.transport().resumed()) ++counting_.tls_resumed;
    if (totals_.tls_version.empty()) totals_.tls_version = session.transport().tls_version();
  }
  backoff_.connected(static_cast<size_t>(session.id()));
  if (phase_ == Phase::kConnecting) {
    --connects_outstanding_;
    push_idle(session);
    return;
  }
  if (phase_ == Phase::kRunning) dispatch(session, now_ns());
}

void LoadWorker::note_error_detail(const http::Session& session, ErrorKind kind) {
  const std::string& detail = session.transport().error_detail();
  if (detail.empty()) return;
  totals_.error_details.emplace(std::string(model::error_kind_name(kind)), detail);  // keeps the first
}

void LoadWorker::on_connect_failed(http::Session& session, ErrorKind kind) {
  ++counting_.connect_failures;
  note_error_detail(session, kind);
  last_connect_error_ = kind;
  const int64_t now = now_ns();
  if (phase_ == Phase::kConnecting) {
    --connects_outstanding_;
    reconnect_later(session, now, true);
    return;
  }
  if (phase_ != Phase::kRunning) return;
  if (config_.plan == nullptr && !plan_finished_) {
    // Closed loop: the attempt stood for this connection's next request.
    const http::InFlight attempt{now, now, 0, now < measure_start_ns_.load()};
    if (!attempt.warmup) ++closed_loop_sent_;
    count_error(attempt, kind, now);
    if (config_.closed_loop_budget >= 0 && !attempt.warmup && !any_session_up()) {
      // Every connection is down: the rest of a counted run fails now, as open-loop arrivals
      // fail fast, instead of crawling through reconnect backoff one request at a time.
      while (closed_loop_sent_ < config_.closed_loop_budget) {
        ++closed_loop_sent_;
        count_error(attempt, kind, now);
      }
    }
    if (now >= plan_end_ns_ ||
        (config_.closed_loop_budget >= 0 && closed_loop_sent_ >= config_.closed_loop_budget)) {
      plan_finished_ = true;
      plan_finished_ns_ = now;
    }
  }
  reconnect_later(session, now, true);
  if (!any_session_up()) fail_pending(kind, now);
  maybe_finish();
}

void LoadWorker::on_response(http::Session& session, const http::InFlight& request, int status_code,
                             int grpc_status, uint64_t bytes_received, int64_t done_ns) {
  roll_intervals(done_ns);
  if (request.warmup) {
    ++counting_.warmup_completed;
  } else {
    const int64_t latency = done_ns - request.intended_ns;
    const int64_t service = done_ns - request.sent_ns;
    ++counting_.completed;
    counting_.bytes_received += static_cast<int64_t>(bytes_received);
    totals_.last_completion_ns = done_ns;
    totals_.latency.record(latency);
    totals_.service_time.record(service);
    interval_latency_.record(latency);
    interval_service_.record(service);
    const size_t code = status_code >= 0 && status_code < 600 ? static_cast<size_t>(status_code) : 0;
    ++totals_.status_counts[code];
    if (code < 200 || code > 299) ++counting_.non_2xx;
    if (config_.grpc) ++totals_.grpc_status_counts[http::effective_grpc_status(status_code, grpc_status)];
  }
  if (session.can_send()) {
    dispatch(session, done_ns);
  } else {
    reconnect_later(session, done_ns, false);
    maybe_finish();
  }
}

void LoadWorker::on_request_failed(http::Session& session, const http::InFlight& request,
                                   ErrorKind kind, int64_t now) {
  if (kind == ErrorKind::kTls) note_error_detail(session, kind);
  count_error(request, kind, now);
  reconnect_later(session, now, false);
  maybe_finish();
}

void LoadWorker::on_idle_close(http::Session& session) { reconnect_later(session, now_ns(), false); }

void LoadWorker::on_protocol_event(http::Session&, http::ProtocolEvent event) {
  switch (event) {
    case http::ProtocolEvent::kGoaway: ++counting_.http2_goaways; break;
    case http::ProtocolEvent::kFlowControlStall: ++counting_.http2_flow_control_stalls; break;
  }
}

void LoadWorker::on_request_refused(http::Session& session, const http::InFlight& request) {
  // Never processed: it goes out again first, on another connection, timed from its
  // intended start as before.
  ++counting_.http2_refused_streams;
  const int64_t now = now_ns();
  if (pending_.empty() || pending_size_ == pending_.size()) {
    count_error(request, ErrorKind::kReset, now);
  } else {
    pending_head_ = (pending_head_ + pending_.size() - 1) % pending_.size();
    pending_[pending_head_] = request;
    ++pending_size_;
  }
  if (!request.warmup) --counting_.sent;  // it will be counted when sent again
  if (session.state() == http::Session::State::kDisconnected) reconnect_later(session, now, false);
  while (pending_size_ > 0) {
    http::Session* idle = pop_idle();
    if (idle == nullptr) break;
    dispatch(*idle, now);
  }
}

void LoadWorker::count_error(const http::InFlight& request, ErrorKind kind, int64_t now) {
  roll_intervals(now);
  if (request.warmup) return;
  ++counting_.error_counts[static_cast<size_t>(kind)];
}

void LoadWorker::fail_pending(ErrorKind kind, int64_t now) {
  while (pending_size_ > 0) {
    count_error(pending_[pending_head_], kind, now);
    pending_head_ = (pending_head_ + 1) % pending_.size();
    --pending_size_;
  }
}

// --- connections -----------------------------------------------------------------------

void LoadWorker::reconnect_later(http::Session& session, int64_t now, bool failed) {
  const auto id = static_cast<size_t>(session.id());
  if (failed) {
    backoff_.failed(id, now);
  } else {
    backoff_.closed(id);
  }
  if (phase_ == Phase::kRunning && !failed && work_remains()) session.connect(now);
}

void LoadWorker::retry_connections(int64_t now) {
  if (phase_ != Phase::kRunning || !work_remains()) return;
  for (size_t i = 0; i < sessions_.size(); ++i) {
    if (sessions_[i]->state() == http::Session::State::kDisconnected && backoff_.may_retry(i, now)) {
      sessions_[i]->connect(now);
    }
  }
}

bool LoadWorker::any_session_up() const {
  return std::any_of(sessions_.begin(), sessions_.end(), [](const auto& s) {
    return s->state() != http::Session::State::kDisconnected;
  });
}

bool LoadWorker::work_remains() const { return !plan_finished_ || pending_size_ > 0; }

// --- housekeeping ----------------------------------------------------------------------

void LoadWorker::schedule_tick() {
  tick_.expires_after(std::chrono::nanoseconds(timeouts_.check_period_ns()));
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ == Phase::kRunning) on_tick();
  });
}

void LoadWorker::on_tick() {
  const int64_t now = now_ns();
  for (auto& session : sessions_) session->check_timeouts(now, config_.timeout_ns);
  if (phase_ != Phase::kRunning) return;
  if (config_.plan == nullptr && !plan_finished_ && now >= plan_end_ns_) {
    plan_finished_ = true;
    plan_finished_ns_ = now;
  }
  retry_connections(now);
  roll_intervals(now);
  if (plan_finished_ && timeouts_.drain_over(plan_finished_ns_, now)) {
    // The drain period is over: whatever is still waiting counts as timed out.
    fail_pending(ErrorKind::kTimeout, now);
    for (auto& session : sessions_) {
      if (session->in_flight() > 0) session->check_timeouts(timeouts_.expire_everything_at(now), config_.timeout_ns);
    }
  }
  maybe_finish();
  if (phase_ == Phase::kRunning) schedule_tick();
}

void LoadWorker::maybe_finish() {
  if (phase_ != Phase::kRunning || !plan_finished_ || pending_size_ > 0) return;
  for (const auto& session : sessions_) {
    if (session->in_flight() > 0) return;
  }
  finish(false);
}

void LoadWorker::finish(bool cancelled) {
  if (phase_ == Phase::kDone) return;
  if (cancelled) {
    for (size_t i = 0; i < pending_size_; ++i) {
      if (!pending_[(pending_head_ + i) % pending_.size()].warmup) ++counting_.cancelled;
    }
    for (const auto& session : sessions_) counting_.cancelled += session->in_flight();
    pending_size_ = 0;
  }
  phase_ = Phase::kDone;
  plan_finished_ = true;
  pacer_.cancel();
  tick_.cancel();
  for (auto& session : sessions_) session->close();
  io_.stop();
}

// --- intervals ---------------------------------------------------------------------------

void LoadWorker::roll_intervals(int64_t now) {
  while (intervals_.ended_by(now)) publish_interval(intervals_.end_ns());
}

void LoadWorker::publish_interval(int64_t end_ns) {
  if (end_ns < intervals_.start_ns()) return;
  IntervalSnapshot snapshot;
  snapshot.index = intervals_.index();
  snapshot.worker = config_.id;
  snapshot.duration_s = intervals_.duration_s(end_ns);
  snapshot.counters = counting_;
  snapshot.latency = interval_latency_;
  snapshot.service_time = interval_service_;
  interval_latency_.reset();
  interval_service_.reset();
  totals_.counters.add(counting_);
  counting_ = {};
  intervals_.next();
  std::lock_guard lock(mailbox_mutex_);
  mailbox_.push_back(std::move(snapshot));
}

}  // namespace nightjar::load
