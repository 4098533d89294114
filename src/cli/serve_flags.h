// The flags of `nightjar serve` and the server::ServerOptions built from them. Pure apart
// from reading the certificate files the flags name; every error names the flag.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "server/test_server.h"

namespace nightjar::cli {

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  int threads = 1;
  std::string stall_after;
  std::string stall_for = "1s";
  int64_t goaway_after = 0;
  int64_t capacity = 0;  // requests per second of the one queue; 0: unlimited
  bool tls = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_cert_out;
  std::string tls_client_ca;
  std::string alpn;  // empty: h2,http/1.1
  // Limits (see ServerOptions).
  std::string header_timeout = "10s";
  std::string idle_timeout = "60s";
  std::string tls_handshake_timeout = "10s";
  int64_t max_connections = server::ServerOptions::kDefaultMaxConnections;
  std::string max_body_bytes = "16m";
  std::string max_header_bytes = "16k";
  int64_t max_headers = server::ServerOptions::kDefaultMaxHeaderFields;
};

// Adds the `serve` subcommand's options to `command`.
void add_serve_flags(CLI::App& command, ServeFlags& flags);

// The server's options: address, threads, stall, GOAWAY, TLS (certificates read from the
// files named) and limits. Errors are kInvalidArgument naming the flag.
Result<server::ServerOptions> build_serve_options(const ServeFlags& flags);

}  // namespace nightjar::cli
