#include "distributed/worker_server.h"
#include "common/clock.h"

#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "common/duration.h"
#include "distributed/spec.h"
#include "load/runner.h"
#include "nightjar/v1/worker.grpc.pb.h"
#include "output/result_proto.h"

namespace nightjar::distributed {
namespace {

namespace asio = boost::asio;
namespace v1 = nightjar::v1;

constexpr char kVersion[] = "0.1.0";
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

class WorkerService final : public v1::Worker::Service {
 public:
  explicit WorkerService(const WorkerServerOptions& options) : options_(options) {}

  grpc::Status Info(grpc::ServerContext* context, const v1::InfoRequest*, v1::WorkerInfo* reply) override {
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
  }

  grpc::Status Run(grpc::ServerContext* context,
                   grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>* stream) override {
    if (grpc::Status s = authorize(*context); !s.ok()) return s;
    v1::ControllerMessage first;
    if (!stream->Read(&first) || !first.has_start()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "a run starts with a Start message"};
    }
    const v1::Start& start = first.start();
    auto options = from_start(start);
    if (!options.ok()) return {grpc::StatusCode::INVALID_ARGUMENT, options.status().message()};
    for (const http::Url& url : options->urls) {
      if (!target_allowed(url.host, resolve_all(url.host), options_.allow_targets)) {
        return {grpc::StatusCode::PERMISSION_DENIED,
                "target '" + url.host + "' is not allowed by this worker's --allow-target list"};
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (!current_run_id_.empty()) {
        return {grpc::StatusCode::FAILED_PRECONDITION,
                "worker is busy with run '" + current_run_id_ + "'; one run at a time"};
      }
      current_run_id_ = start.run_id().empty() ? "unnamed" : start.run_id();
    }
    grpc::Status status = run(*context, *stream, start, *options);
    std::lock_guard lock(mutex_);
    current_run_id_.clear();
    return status;
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

  grpc::Status run(grpc::ServerContext& context,
                   grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>& stream,
                   const v1::Start& start, const load::LoadOptions& options) {
    std::atomic<bool> stop{false};
    std::atomic<int64_t> last_heartbeat_ns{steady_now_ns()};
    std::atomic<bool> reader_done{false};
    const int64_t lease_ns = start.lease_ns() > 0 ? start.lease_ns() : 5 * kNanosPerSecond;

    v1::WorkerMessage accepted;
    accepted.mutable_accepted()->set_unix_ns(unix_now_ns());
    if (!stream.Write(accepted)) return {grpc::StatusCode::CANCELLED, "controller went away"};

    // Heartbeats and cancels arrive on the same stream; a broken stream stops the run.
    std::thread reader([&] {
      v1::ControllerMessage message;
      while (stream.Read(&message)) {
        if (message.has_heartbeat()) last_heartbeat_ns.store(steady_now_ns());
        if (message.has_cancel()) stop.store(true);
      }
      stop.store(true);  // the controller closed its side or vanished
      reader_done.store(true);
    });

    load::RunControl control;
    control.stop = &stop;
    control.start_at_unix_ns = start.start_unix_ns();
    control.on_progress = [&](const load::Progress&) {
      if (steady_now_ns() - last_heartbeat_ns.load() > lease_ns || context.IsCancelled() ||
          shutting_down_.load()) {
        stop.store(true);
      }
    };
    control.on_interval = [&](const model::TimelineEntry& e) {
      v1::WorkerMessage message;
      v1::Interval* interval = message.mutable_interval();
      interval->set_second(e.second);
      interval->set_duration_s(e.duration_s);
      interval->set_completed(e.completed);
      interval->set_errors(e.errors);
      interval->set_latency_histogram(e.latency_histogram);
      interval->set_service_time_histogram(e.service_time_histogram);
      stream.Write(message);
    };
    auto result = load::run_load(options, control);

    grpc::Status status = grpc::Status::OK;
    if (!result.ok()) {
      status = {grpc::StatusCode::FAILED_PRECONDITION, result.status().message()};
    } else if (auto message = output::to_proto(*result); !message.ok()) {
      status = {grpc::StatusCode::INTERNAL, message.status().message()};
    } else {
      v1::WorkerMessage final_message;
      *final_message.mutable_final()->mutable_result() = std::move(*message);
      stream.Write(final_message);
    }
    // Wait for the controller to close its side; then make sure the reader ends.
    const auto until = std::chrono::steady_clock::now() + kCloseGrace;
    while (!reader_done.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reader_done.load()) context.TryCancel();
    reader.join();
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

Result<std::unique_ptr<WorkerServer>> WorkerServer::start(const WorkerServerOptions& options) {
  std::string host;
  std::string port;
  if (!split_host_port(options.listen, host, port)) {
    return Status::invalid_argument("--listen '" + options.listen + "' needs the form HOST:PORT");
  }
  const bool tls = !options.tls_cert_pem.empty() || !options.tls_key_pem.empty();
  const bool mutual_tls = tls && !options.client_ca_pem.empty();
  if (!is_loopback_host(host) && options.token.empty() && !mutual_tls) {
    return Status::invalid_argument("refusing to listen on '" + options.listen +
                                    "' beyond loopback without --token-file or mutual TLS "
                                    "(--tls-cert, --tls-key, --client-ca): a worker sends load on command");
  }
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
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    return Status::unavailable("cannot listen on '" + options.listen + "' (in use, or not an address of this machine)");
  }
  return std::unique_ptr<WorkerServer>(
      std::make_unique<WorkerServerImpl>(std::move(service), std::move(server), host, static_cast<uint16_t>(selected_port)));
}

}  // namespace nightjar::distributed
