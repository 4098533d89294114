// The `nightjar:` section of an SMPS test file: nightjar's own options, those SMPS has no
// field for (docs/test-files.md#the-nightjar-section). It sits at the top of the test, beside
// `clients`, and applies to every client. parse_smps_test reads it (smps_test.cc);
// write_smps_test writes it (smps_writer.cc) holding only what the SMPS fields alone would
// not give. Readers of SMPS that do not know it ignore it, or refuse it when they refuse
// unknown fields (Meshery's schema does: write_meshery_test leaves it out).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/rate_shape.h"

namespace nightjar::config {

// What a client of an SMPS test gets when the test does not say (as `nightjar load`'s
// defaults): connections when `connections` is absent or 0, the per-request timeout, the
// client-side queue and the worker threads.
inline constexpr int kDefaultConnections = 10;
inline constexpr int64_t kDefaultTimeoutNs = 10'000'000'000;
inline constexpr int64_t kDefaultMaxPending = 10000;
inline constexpr int kDefaultThreads = 1;

// Every field is unset (or false) when the section does not name it; the file's field names
// are in the comments.
struct NightjarSection {
  std::optional<double> rps;                      // rps: the rate when it is not a whole number
  std::optional<std::string> arrival;             // arrival: uniform or poisson (--arrival)
  std::optional<int64_t> seed;                    // seed: poisson's seed (--seed)
  // rateShape: the rate over time (--stages, --pace-file), a list of
  // {duration: 30s, from: 0, to: 1000}; the client's rps is then its mean.
  std::vector<model::RateSegment> rate_shape;
  std::optional<int64_t> requests;                // requests: stop after this many (-n)
  std::optional<int64_t> warmup_ns;               // warmup: a Go duration
  std::optional<int64_t> timeout_ns;              // timeout: a Go duration
  std::optional<int64_t> threads;                 // threads
  std::optional<int64_t> max_pending;             // maxPending
  std::optional<std::string> method;              // method: when not GET (no body) or POST (a body)
  std::optional<std::string> protocol;            // protocol: http1 or h2 (--protocol)
  std::optional<int64_t> max_concurrent_streams;  // maxConcurrentStreams
  std::optional<std::string> body;                // bodyBase64 or bodyFile: a body that is not text
  // tls: (https:// and grpcs://)
  std::optional<std::string> ca_file;    // tls.caFile
  bool insecure = false;                 // tls.insecure
  std::optional<std::string> sni;        // tls.sni
  std::optional<std::string> cert_file;  // tls.cert
  std::optional<std::string> key_file;   // tls.key
  // grpc: (clients with protocol grpc)
  std::optional<std::string> grpc_method;   // grpc.method
  std::optional<std::string> grpc_message;  // grpc.messageBase64 or grpc.messageFile
  bool grpc_health = false;                 // grpc.health

  bool operator==(const NightjarSection&) const = default;
  bool empty() const { return *this == NightjarSection{}; }
};

}  // namespace nightjar::config
