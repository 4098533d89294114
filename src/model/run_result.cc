#include "model/run_result.h"

namespace nightjar::model {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnectRefused: return "connect_refused";
    case ErrorKind::kConnectTimeout: return "connect_timeout";
    case ErrorKind::kConnectFailed: return "connect_failed";
    case ErrorKind::kReset: return "reset";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kBadResponse: return "bad_response";
    case ErrorKind::kClosedMidResponse: return "closed_mid_response";
    case ErrorKind::kTls: return "tls";
    case ErrorKind::kOther: return "other";
  }
  return "unknown";
}

std::string grpc_status_name(int code) {
  static constexpr const char* kNames[] = {
      "OK",       "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  if (code >= 0 && code <= 16) return kNames[code];
  return "CODE_" + std::to_string(code);
}

int64_t RunResult::non_2xx() const {
  int64_t n = 0;
  for (const auto& [code, count] : status_codes) {
    if (code < 200 || code > 299) n += count;
  }
  return n;
}

}  // namespace nightjar::model
