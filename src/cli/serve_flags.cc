#include "cli/serve_flags.h"

#include <cctype>
#include <sstream>
#include <tuple>
#include <utility>

#include "cli/files.h"
#include "common/duration.h"

namespace nightjar::cli {
namespace {

// A byte count for a serve flag: digits with an optional k, m or g suffix (powers of 1024).
Result<uint64_t> parse_serve_bytes(const std::string& flag, const std::string& text) {
  uint64_t multiplier = 1;
  std::string digits = text;
  if (!digits.empty()) {
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
    multiplier = unit == 'k'   ? 1024
                 : unit == 'm' ? 1024 * 1024
                 : unit == 'g' ? 1024 * 1024 * 1024
                               : 1;
    if (multiplier != 1) digits.pop_back();
  }
  if (digits.empty() || digits.size() > 15 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid_argument(
        flag + ": expected a byte count such as 65536, 64k or 16m, not '" + text + "'");
  }
  const uint64_t count = std::stoull(digits);
  if (count > (uint64_t{1} << 50) / multiplier)
    return Status::invalid_argument(flag + ": '" + text + "' is too large");
  return count * multiplier;
}

// The limits of `serve` from its flags.
Result<server::ServerOptions> serve_limit_options(const ServeFlags& f,
                                                  server::ServerOptions options) {
  constexpr int64_t kMaxTimeoutNs = server::ServerOptions::kMaxTimeoutNs;
  for (const auto& [flag, text, into] :
       {std::tuple{"--header-timeout", &f.header_timeout, &options.header_timeout_ns},
        std::tuple{"--idle-timeout", &f.idle_timeout, &options.idle_timeout_ns},
        std::tuple{"--tls-handshake-timeout", &f.tls_handshake_timeout,
                   &options.tls_handshake_timeout_ns}}) {
    auto ns = parse_duration_ns(*text);
    if (!ns.ok()) return Status::invalid_argument(std::string(flag) + ": " + ns.status().message());
    if (*ns <= 0 || *ns > kMaxTimeoutNs) {
      return Status::invalid_argument(std::string(flag) +
                                      " must be more than 0 and at most 24h, not '" + *text + "'");
    }
    *into = *ns;
  }
  if (f.max_connections < 1)
    return Status::invalid_argument("--max-connections must be at least 1");
  options.max_connections = f.max_connections;
  auto body = parse_serve_bytes("--max-body-bytes", f.max_body_bytes);
  if (!body.ok()) return body.status();
  if (*body == 0) return Status::invalid_argument("--max-body-bytes must be at least 1");
  options.max_body_bytes = *body;
  auto header = parse_serve_bytes("--max-header-bytes", f.max_header_bytes);
  if (!header.ok()) return header.status();
  if (*header < server::ServerOptions::kMinHeaderBytes ||
      *header > server::ServerOptions::kMaxHeaderBytes) {
    return Status::invalid_argument("--max-header-bytes must be from 1k to 1m, not '" +
                                    f.max_header_bytes + "'");
  }
  options.max_header_bytes = static_cast<uint32_t>(*header);
  if (f.max_headers < 1 || f.max_headers > 10000) {
    return Status::invalid_argument("--max-headers must be from 1 to 10000");
  }
  options.max_header_fields = static_cast<uint32_t>(f.max_headers);
  return options;
}

// The TLS side of `serve` from its flags.
Result<server::ServerOptions> serve_tls_options(const ServeFlags& f,
                                                server::ServerOptions options) {
  const bool tls = f.tls || !f.tls_cert.empty() || !f.tls_key.empty();
  if (f.tls && (!f.tls_cert.empty() || !f.tls_key.empty())) {
    return Status::invalid_argument(
        "--tls generates a certificate; give either --tls or --tls-cert with --tls-key");
  }
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    return Status::invalid_argument(f.tls_cert.empty() ? "--tls-key needs --tls-cert"
                                                       : "--tls-cert needs --tls-key");
  }
  if (!tls) {
    for (const auto& [flag, value] :
         {std::pair{"--tls-cert-out", &f.tls_cert_out},
          std::pair{"--tls-client-ca", &f.tls_client_ca}, std::pair{"--alpn", &f.alpn}}) {
      if (!value->empty())
        return Status::invalid_argument(std::string(flag) + " needs --tls or --tls-cert");
    }
    return options;
  }
  tls::ServerTlsOptions t;
  t.cert_name = "--tls-cert";
  t.key_name = "--tls-key";
  t.client_ca_name = "--tls-client-ca";
  for (const auto& [flag, path, into] :
       {std::tuple{"--tls-cert", &f.tls_cert, &t.cert_pem},
        std::tuple{"--tls-key", &f.tls_key, &t.key_pem},
        std::tuple{"--tls-client-ca", &f.tls_client_ca, &t.client_ca_pem}}) {
    if (Status s = read_flag_file(flag, *path, *into); !s.ok()) return s;
  }
  if (!f.alpn.empty()) {
    t.alpn.clear();
    std::stringstream list(f.alpn);
    for (std::string protocol; std::getline(list, protocol, ',');) {
      protocol.erase(0, protocol.find_first_not_of(' '));
      protocol.erase(protocol.find_last_not_of(' ') + 1);
      if (protocol != "h2" && protocol != "http/1.1") {
        return Status::invalid_argument("--alpn: unknown protocol '" + protocol +
                                        "' (use h2, http/1.1 or both)");
      }
      t.alpn.push_back(protocol);
    }
  }
  options.tls = std::move(t);
  return options;
}

}  // namespace

void add_serve_flags(CLI::App& serve, ServeFlags& f) {
  serve.add_option("--listen", f.listen, "Address to listen on; port 0 picks a free port")
      ->capture_default_str();
  serve.add_option("--threads", f.threads, "Event-loop threads")->capture_default_str();
  serve.add_option(
      "--stall-after", f.stall_after,
      "Freeze every response this long after the first request (coordinated-omission demo)");
  serve.add_option("--stall-for", f.stall_for, "How long the freeze lasts")->capture_default_str();
  serve
      .add_option("--capacity", f.capacity,
                  "Answer as one queue served at N requests per second (latency grows past N; "
                  "0: unlimited)")
      ->capture_default_str();
  serve
      .add_option("--goaway-after", f.goaway_after,
                  "HTTP/2: each connection sends GOAWAY after this many requests (0: never)")
      ->capture_default_str();
  serve.add_flag(
      "--tls", f.tls,
      "Serve TLS with a self-signed certificate made at start (its fingerprint is printed)");
  serve.add_option("--tls-cert", f.tls_cert,
                   "Serve TLS with this certificate (PEM, chain after it)");
  serve.add_option("--tls-key", f.tls_key, "Private key of --tls-cert (PEM)");
  serve.add_option("--tls-cert-out", f.tls_cert_out,
                   "Write the served certificate (PEM) here, for clients to trust as a CA file");
  serve.add_option("--tls-client-ca", f.tls_client_ca,
                   "Require client certificates signed by this CA (PEM)");
  serve.add_option("--alpn", f.alpn,
                   "TLS application protocols accepted, in preference order (default h2,http/1.1)");
  serve
      .add_option(
          "--header-timeout", f.header_timeout,
          "Close a connection whose request header (HTTP/2: preface, header block) takes longer")
      ->capture_default_str();
  serve
      .add_option("--idle-timeout", f.idle_timeout,
                  "Close a keep-alive connection with nothing in flight after this long")
      ->capture_default_str();
  serve
      .add_option("--tls-handshake-timeout", f.tls_handshake_timeout,
                  "Close a connection whose TLS handshake takes longer")
      ->capture_default_str();
  serve
      .add_option("--max-connections", f.max_connections,
                  "Connections open at once; more are accepted and closed at once")
      ->capture_default_str();
  serve
      .add_option(
          "--max-body-bytes", f.max_body_bytes,
          "Largest request body (413 / RESOURCE_EXHAUSTED beyond); also the gRPC request bytes "
          "one HTTP/2 connection may hold (suffixes k, m, g)")
      ->capture_default_str();
  serve
      .add_option("--max-header-bytes", f.max_header_bytes,
                  "Largest request header, 1k to 1m (431 beyond)")
      ->capture_default_str();
  serve.add_option("--max-headers", f.max_headers, "Most request header fields (431 beyond)")
      ->capture_default_str();
}

Result<server::ServerOptions> build_serve_options(const ServeFlags& f) {
  server::ServerOptions options;
  options.listen = f.listen;
  options.threads = f.threads;
  if (f.threads < 1) return Status::invalid_argument("--threads must be at least 1");
  if (f.goaway_after < 0)
    return Status::invalid_argument("--goaway-after must not be negative (0: never)");
  options.goaway_after_requests = f.goaway_after;
  if (f.capacity < 0 || f.capacity > server::ServerOptions::kMaxCapacityRps) {
    return Status::invalid_argument("--capacity must be from 1 to " +
                                    std::to_string(server::ServerOptions::kMaxCapacityRps) +
                                    " requests per second (0: unlimited), not " +
                                    std::to_string(f.capacity));
  }
  options.capacity_rps = f.capacity;
  if (!f.stall_after.empty()) {
    auto after = parse_duration_ns(f.stall_after);
    if (!after.ok()) return Status::invalid_argument("--stall-after: " + after.status().message());
    auto length = parse_duration_ns(f.stall_for);
    if (!length.ok()) return Status::invalid_argument("--stall-for: " + length.status().message());
    options.stall_after_ns = *after;
    options.stall_for_ns = *length;
  }
  auto with_tls = serve_tls_options(f, std::move(options));
  if (!with_tls.ok()) return with_tls.status();
  return serve_limit_options(f, std::move(with_tls).value());
}

}  // namespace nightjar::cli
