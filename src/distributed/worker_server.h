// `nightjar worker`: a gRPC agent that runs one shard of a load test on command
// (proto/nightjar/v1/worker.proto).
//
// A worker generates traffic for whoever drives it, so it is not an open relay: it binds to
// loopback unless given an address, refuses to listen beyond loopback without a bearer token
// or mutual TLS (and refuses a token without TLS there, unless told to accept it), compares
// tokens in constant time, optionally limits targets to an allowlist (resolving the target
// once and pinning the addresses it approved), runs one test at a time, and stops a run when
// its controller's stream breaks or its lease lapses.
//
// Whatever a controller sends, the worker survives it: every Start field is checked
// (InvalidArgument naming the field), no exception leaves a gRPC handler or a thread of the
// worker, and a run that ends in any way leaves the worker idle for the next one.
//
// Thread-safety: start/stop/port may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace nightjar::distributed {

struct WorkerServerOptions {
  std::string listen = "127.0.0.1:7070";  // port 0 picks a free one
  std::string token;                      // required bearer token; empty: none
  std::string tls_cert_pem;               // server certificate (PEM); empty: plaintext
  std::string tls_key_pem;
  std::string client_ca_pem;              // with TLS: require client certificates signed by it
  std::vector<std::string> allow_targets; // host names or CIDRs; empty: any target
  // Beyond loopback, a token without TLS travels in clear: refused unless this is set.
  bool allow_plaintext_token = false;
  // Resolves a target host to its addresses (IP literals), once per run; the run then
  // connects only to what this returned. Empty: the system resolver. A seam for tests.
  std::function<std::vector<std::string>(const std::string& host)> resolve;
  // The clock the controller's lease is watched on (heartbeats, lapse, grace); it outlives
  // the server. A seam for tests: the run itself keeps the system clock.
  const Clock* lease_clock = &system_clock();
};

// Whether a worker may listen where `options.listen` says with the protection it has:
// loopback always; beyond it only with a token or mutual TLS, and a token only over TLS
// unless allow_plaintext_token. Errors (InvalidArgument) say why and what to do instead.
Status check_listen_policy(const WorkerServerOptions& options);

class WorkerServer {
 public:
  virtual ~WorkerServer() = default;

  // Errors: a bad or unbindable address, what check_listen_policy refuses, a bad
  // --allow-target entry.
  static Result<std::unique_ptr<WorkerServer>> start(const WorkerServerOptions& options);

  virtual std::string listen_address() const = 0;  // host:port with the real port
  virtual uint16_t port() const = 0;
  // Stops serving; a run in progress is stopped and its stream ends. Idempotent.
  virtual void stop() = 0;
};

// Constant-time comparison of a presented token with the expected one.
bool token_matches(const std::string& presented, const std::string& expected);

// Whether `address` (an IP literal) is inside the allowlist entries (IPs, CIDRs) or, for
// host names, whether `host` equals a host entry. Exposed for tests.
bool target_allowed(const std::string& host, const std::vector<std::string>& resolved_addresses,
                    const std::vector<std::string>& allow_targets);

}  // namespace nightjar::distributed
