#include "distributed/worker_server.h"

#include "common/version.h"
#include "common/clock.h"

#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <stop_token>
#include <thread>

#include "distributed/lease_watch.h"
#include "distributed/spec.h"
#include "load/runner.h"
#include "nightjar/v1/worker.grpc.pb.h"
#include "model/result_proto.h"

namespace nightjar::distributed {
namespace {

namespace asio = boost::asio;
namespace v1 = nightjar::v1;


// After its Final, a worker waits this long for the controller to close its side.
constexpr auto kCloseGrace = std::chrono::seconds(5);

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// Splits "host:port" / "[v6]:port"; false when it does not parse.
bool split_host_port(const std::string& text, std::string& host, std::string& port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return port.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> resolve_all(const std::string& host) {
  std::vector<std::string> out;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  for (const auto& entry : resolver.resolve(host, "", ec)) out.push_back(entry.endpoint().address().to_string());
  return out;
}

// Marks the worker busy with one run for as long as it lives: however that run ends
// (refused, failed, an exception), the worker is idle again afterwards.
class RunSlot {
 public:
  RunSlot(std::mutex& mutex, std::string& current_run_id) : mutex_(mutex), current_run_id_(current_run_id) {}
  RunSlot(const RunSlot&) = delete;
  RunSlot& operator=(const RunSlot&) = delete;
  ~RunSlot() {
    if (!held_) return;
    std::lock_guard lock(mutex_);
    current_run_id_.clear();
  }

  // Takes the worker for run `id`; false when another run holds it (named in `busy_with`).
  bool claim(const std::string& id, std::string& busy_with) {
    std::lock_guard lock(mutex_);
    if (!current_run_id_.empty()) {
      busy_with = current_run_id_;
      return false;
    }
    current_run_id_ = id;
    held_ = true;
    return true;
  }

 private:
  std::mutex& mutex_;
  std::string& current_run_id_;
  bool held_ = false;
};

// The thread that reads the controller's side of a Run stream. It is always joined: on any
// way out of the handler, a reader still blocked on the stream is freed by cancelling the
// call first.
class StreamReader {
 public:
  StreamReader(grpc::ServerContext& context, std::function<void()> body) : context_(context) {
    std::promise<void> done;
    done_ = done.get_future();
    thread_ = std::thread([body = std::move(body), done = std::move(done)]() mutable {
      try {
        body();
      } catch (...) {  // a thread body lets nothing escape; the run's stop flag is already set
      }
      done.set_value();
    });
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;
  ~StreamReader() { finish(std::chrono::nanoseconds(0)); }

  // Waits up to `grace` for the controller to close its side, then cancels the call; joins.
  void finish(std::chrono::nanoseconds grace) {
    if (!thread_.joinable()) return;
    if (done_.wait_for(grace) != std::future_status::ready) context_.TryCancel();
    thread_.join();
  }

 private:
  grpc::ServerContext& context_;
  std::future<void> done_;
  std::thread thread_;
};

class WorkerService final : public v1::Worker::Service {
 public:
  explicit WorkerService(const WorkerServerOptions& options) : options_(options) {}

  grpc::Status Info(grpc::ServerContext* context, const v1::InfoRequest*, v1::WorkerInfo* reply) override {
    try {
      if (grpc::Status s = authorize(*context); !s.ok()) return s;
      reply->set_version(kVersion);
      reply->set_cores(static_cast<int32_t>(std::thread::hardware_concurrency()));
      reply->set_unix_ns(unix_now_ns());
      {
        std::lock_guard lock(mutex_);
        reply->set_current_run_id(current_run_id_);
      }
      for (const std::string& t : options_.allow_targets) reply->add_allowed_targets(t);
      return grpc::Status::OK;
    } catch (const std::exception& e) {
      return {grpc::StatusCode::INTERNAL, std::string("worker: Info failed: ") + e.what()};
    } catch (...) {
      return {grpc::StatusCode::INTERNAL, "worker: Info failed"};
    }
  }

  grpc::Status Run(grpc::ServerContext* context,
                   grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>* stream) override {
    try {
      return run_checked(*context, *stream);
    } catch (const std::exception& e) {
      return {grpc::StatusCode::INTERNAL, std::string("worker: the run failed: ") + e.what()};
    } catch (...) {
      return {grpc::StatusCode::INTERNAL, "worker: the run failed (unknown exception)"};
    }
  }

  // Stops any run in progress (server shutdown).
  void stop_all() { shutting_down_.store(true); }

 private:
  grpc::Status authorize(const grpc::ServerContext& context) const {
    if (options_.token.empty()) return grpc::Status::OK;
    const auto& metadata = context.client_metadata();
    const auto it = metadata.find("authorization");
    const std::string presented = it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
    if (!token_matches(presented, "Bearer " + options_.token)) {
      return {grpc::StatusCode::UNAUTHENTICATED, "missing or wrong bearer token"};
    }
    return grpc::Status::OK;
  }

  grpc::Status run_checked(grpc::ServerContext& context,
                           grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>& stream) {
    if (grpc::Status s = authorize(context); !s.ok()) return s;
    v1::ControllerMessage first;
    if (!stream.Read(&first)) return {grpc::StatusCode::CANCELLED, "the controller left before its Start"};
    if (!first.has_start()) return {grpc::StatusCode::INVALID_ARGUMENT, "a run starts with a Start message"};
    auto run = from_start(first.start(), unix_now_ns());
    if (!run.ok()) return {grpc::StatusCode::INVALID_ARGUMENT, run.status().message()};
    RunSlot slot(mutex_, current_run_id_);
    if (std::string busy; !slot.claim(run->run_id, busy)) {
      return {grpc::StatusCode::FAILED_PRECONDITION, "worker is busy with run '" + busy + "'; one run at a time"};
    }
    std::vector<asio::ip::tcp::endpoint> endpoints;
    if (grpc::Status s = pin_target(run->options.urls.front(), endpoints); !s.ok()) return s;
    return execute(context, stream, *run, endpoints);
  }

  // Resolves the target once, checks every address against the allowlist and returns them:
  // the run connects to these and resolves nothing itself, so a second DNS answer cannot
  // send the load elsewhere. (load::validate makes every URL of a run share host and port.)
  grpc::Status pin_target(const http::Url& target, std::vector<asio::ip::tcp::endpoint>& endpoints) const {
    const std::vector<std::string> addresses = options_.resolve ? options_.resolve(target.host) : resolve_all(target.host);
    if (addresses.empty()) {
      return {grpc::StatusCode::FAILED_PRECONDITION, "worker cannot resolve host '" + target.host + "'"};
    }
    if (!target_allowed(target.host, addresses, options_.allow_targets)) {
      return {grpc::StatusCode::PERMISSION_DENIED,
              "target '" + target.host + "' is not allowed by this worker's --allow-target list"};
    }
    for (const std::string& text : addresses) {
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(text, ec);
      if (ec) {
        return {grpc::StatusCode::FAILED_PRECONDITION,
                "worker: '" + target.host + "' resolved to '" + text + "', which is not an address"};
      }
      endpoints.emplace_back(address, target.port);
    }
    return grpc::Status::OK;
  }

  grpc::Status execute(grpc::ServerContext& context,
                       grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>& stream, const WorkerRun& run,
                       const std::vector<asio::ip::tcp::endpoint>& endpoints) {
    std::atomic<bool> stop{false};
    LeaseWatch lease(*options_.lease_clock, run.lease_ns);

    v1::WorkerMessage accepted;
    accepted.mutable_accepted()->set_unix_ns(unix_now_ns());
    if (!stream.Write(accepted)) return {grpc::StatusCode::CANCELLED, "controller went away"};

    // Heartbeats and cancels arrive on the same stream; a broken stream stops the run.
    StreamReader reader(context, [&] {
      v1::ControllerMessage message;
      while (stream.Read(&message)) {
        if (message.has_heartbeat()) lease.heartbeat();
        if (message.has_cancel()) stop.store(true);
      }
      stop.store(true);  // the controller closed its side or vanished
    });
    // The lease is watched apart from the run's own progress, so it also holds while the
    // run connects and waits for its start. Once it lapsed, the controller gets a grace to
    // collect the Final; then the call is cancelled, which also frees a write blocked on a
    // controller that stopped reading.
    std::jthread lease_watch([&](std::stop_token token) {
      try {
        std::mutex mutex;
        std::condition_variable_any wake;
        std::unique_lock lock(mutex);
        while (!token.stop_requested()) {
          const LeaseWatch::State state = lease.check();
          if (state != LeaseWatch::State::kHeld) stop.store(true);
          if (state == LeaseWatch::State::kAbandoned) {
            context.TryCancel();
            return;
          }
          if (shutting_down_.load()) stop.store(true);
          wake.wait_for(lock, token, std::chrono::nanoseconds(lease.check_period_ns()), [] { return false; });
        }
      } catch (...) {  // a thread body lets nothing escape: without its watch, the run stops
        stop.store(true);
      }
    });

    load::RunControl control;
    control.stop = &stop;
    control.start_at_unix_ns = run.start_unix_ns;
    control.endpoints = endpoints;
    control.on_progress = [&](const load::Progress&) {
      if (context.IsCancelled()) stop.store(true);
    };
    control.on_interval = [&](const model::TimelineEntry& e) {
      try {
        v1::WorkerMessage message;
        v1::Interval* interval = message.mutable_interval();
        interval->set_second(e.second);
        interval->set_duration_s(e.duration_s);
        model::to_proto(e.counters, interval->mutable_counters());
        interval->set_latency_histogram(e.latency_histogram);
        interval->set_service_time_histogram(e.service_time_histogram);
        if (!stream.Write(message)) stop.store(true);
      } catch (...) {  // called inside the run's loop: nothing may escape it
        stop.store(true);
      }
    };
    auto result = load::run_load(run.options, control);

    grpc::Status status = grpc::Status::OK;
    if (!result.ok()) {
      status = {result.status().code() == StatusCode::kInvalidArgument ? grpc::StatusCode::INVALID_ARGUMENT
                                                                       : grpc::StatusCode::FAILED_PRECONDITION,
                result.status().message()};
    } else {
      v1::WorkerMessage final_message;
      *final_message.mutable_final()->mutable_result() = model::to_proto(*result);
      stream.Write(final_message);
    }
    if (!status.ok()) {
      // Said in-band: the reader still holds the stream, so the call's status can only
      // follow once the controller has closed its side.
      v1::WorkerMessage failed;
      failed.mutable_failed()->set_code(static_cast<int32_t>(status.error_code()));
      failed.mutable_failed()->set_message(status.error_message());
      stream.Write(failed);
    }
    reader.finish(kCloseGrace);
    return status;
  }

  const WorkerServerOptions options_;
  std::atomic<bool> shutting_down_{false};
  std::mutex mutex_;
  std::string current_run_id_;  // guarded by mutex_
};

class WorkerServerImpl final : public WorkerServer {
 public:
  WorkerServerImpl(std::unique_ptr<WorkerService> service, std::unique_ptr<grpc::Server> server,
                   std::string host, uint16_t port)
      : service_(std::move(service)), server_(std::move(server)), host_(std::move(host)), port_(port) {}
  ~WorkerServerImpl() override { stop(); }

  std::string listen_address() const override {
    const bool v6 = host_.find(':') != std::string::npos;
    return (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
  }
  uint16_t port() const override { return port_; }
  void stop() override {
    std::call_once(stopped_, [this] {
      service_->stop_all();
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    });
  }

 private:
  std::unique_ptr<WorkerService> service_;
  std::unique_ptr<grpc::Server> server_;
  const std::string host_;
  const uint16_t port_;
  std::once_flag stopped_;
};

}  // namespace

bool token_matches(const std::string& presented, const std::string& expected) {
  // Compare over the expected length whatever was presented, so timing says nothing.
  std::string padded = presented;
  padded.resize(expected.size(), '\0');
  const bool same = CRYPTO_memcmp(padded.data(), expected.data(), expected.size()) == 0;
  return same && presented.size() == expected.size() && !expected.empty();
}

bool target_allowed(const std::string& host, const std::vector<std::string>& resolved_addresses,
                    const std::vector<std::string>& allow_targets) {
  if (allow_targets.empty()) return true;
  for (const std::string& entry : allow_targets) {
    if (entry == host) return true;
  }
  if (resolved_addresses.empty()) return false;
  for (const std::string& text : resolved_addresses) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(text, ec);
    if (ec) return false;
    bool inside = false;
    for (const std::string& entry : allow_targets) {
      if (entry.find('/') == std::string::npos) {
        const auto single = asio::ip::make_address(entry, ec);
        inside = inside || (!ec && single == address);
      } else if (address.is_v4()) {
        const auto network = asio::ip::make_network_v4(entry, ec);
        inside = inside || (!ec && (address.to_v4().to_uint() & network.netmask().to_uint()) ==
                                       network.network().to_uint());
      } else {
        const auto network = asio::ip::make_network_v6(entry, ec);
        if (!ec) {
          const auto hosts = network.canonical();
          const auto candidate = asio::ip::make_network_v6(address.to_v6(), network.prefix_length());
          inside = inside || candidate.canonical() == hosts;
        }
      }
    }
    if (!inside) return false;  // every address the name resolves to must be allowed
  }
  return true;
}

Status check_listen_policy(const WorkerServerOptions& options) {
  std::string host;
  std::string port;
  if (!split_host_port(options.listen, host, port)) {
    return Status::invalid_argument("--listen '" + options.listen + "' needs the form HOST:PORT");
  }
  if (is_loopback_host(host)) return {};
  const bool tls = !options.tls_cert_pem.empty() && !options.tls_key_pem.empty();
  const bool mutual_tls = tls && !options.client_ca_pem.empty();
  if (options.token.empty() && !mutual_tls) {
    return Status::invalid_argument(
        "refusing to listen on '" + options.listen +
        "' beyond loopback without --token-file or mutual TLS (--tls-cert, --tls-key, --client-ca): a worker sends "
        "load on command. 'nightjar certs --out DIR --hosts NAME' makes a CA and the certificates");
  }
  if (!options.token.empty() && !tls && !options.allow_plaintext_token) {
    return Status::invalid_argument(
        "refusing to listen on '" + options.listen +
        "' beyond loopback with a bearer token over plaintext: the token would travel in clear, and whoever reads "
        "it can send load through this worker. Serve TLS: 'nightjar certs --out DIR --hosts NAME' writes a CA and "
        "certificates; run the worker with --tls-cert DIR/worker.pem --tls-key DIR/worker-key.pem --client-ca "
        "DIR/ca.pem (mutual TLS; the controller then gives --worker-ca DIR/ca.pem --worker-cert "
        "DIR/controller.pem --worker-key DIR/controller-key.pem). --allow-plaintext-token accepts the risk");
  }
  return {};
}

Result<std::unique_ptr<WorkerServer>> WorkerServer::start(const WorkerServerOptions& options) {
  if (Status s = check_listen_policy(options); !s.ok()) return s;
  std::string host;
  std::string port;
  split_host_port(options.listen, host, port);
  const bool tls = !options.tls_cert_pem.empty() || !options.tls_key_pem.empty();
  const bool mutual_tls = tls && !options.client_ca_pem.empty();
  if (tls && (options.tls_cert_pem.empty() || options.tls_key_pem.empty())) {
    return Status::invalid_argument("--tls-cert and --tls-key go together");
  }
  if (!options.client_ca_pem.empty() && !tls) {
    return Status::invalid_argument("--client-ca needs --tls-cert and --tls-key");
  }
  for (const std::string& entry : options.allow_targets) {
    boost::system::error_code ec;
    if (entry.find('/') != std::string::npos) {
      asio::ip::make_network_v4(entry, ec);
      if (ec) {
        ec.clear();
        asio::ip::make_network_v6(entry, ec);
      }
      if (ec) return Status::invalid_argument("--allow-target '" + entry + "' is not a CIDR like 10.0.0.0/8");
    }
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls) {
    grpc::SslServerCredentialsOptions ssl(mutual_tls ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                                     : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_root_certs = options.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  auto service = std::make_unique<WorkerService>(options);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  const std::string grpc_address = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  builder.AddListeningPort(grpc_address, credentials, &selected_port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxStartBytes));
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Status::unavailable("cannot listen on '" + options.listen + "' (in use, or not an address of this machine)");
  }
  return std::unique_ptr<WorkerServer>(
      std::make_unique<WorkerServerImpl>(std::move(service), std::move(server), host, static_cast<uint16_t>(selected_port)));
}

}  // namespace nightjar::distributed
