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
    case ErrorKind::kOther: return "other";
  }
  return "unknown";
}

int64_t RunResult::non_2xx() const {
  int64_t n = 0;
  for (const auto& [code, count] : status_codes) {
    if (code < 200 || code > 299) n += count;
  }
  return n;
}

}  // namespace nightjar::model
