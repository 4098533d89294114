#include "model/run_result.h"

#include <limits>

#include <charconv>

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

int grpc_status_code(std::string_view name) {
  for (int c = 0; c <= 16; ++c) {
    if (grpc_status_name(c) == name) return c;
  }
  if (!name.starts_with("CODE_")) return -1;
  int code = -1;
  const auto [end, ec] = std::from_chars(name.data() + 5, name.data() + name.size(), code);
  return ec == std::errc() && end == name.data() + name.size() && code >= 0 ? code : -1;
}

std::string percentile_name(double percentile) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, percentile);
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

std::optional<double> percentile_from_name(std::string_view name) {
  double p = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), p);
  if (ec != std::errc() || end != name.data() + name.size() || !(p >= 0 && p <= 100)) return std::nullopt;
  return p;
}

std::optional<ErrorKind> error_kind_from_name(std::string_view name) {
  for (int k = 0; k < kErrorKindCount; ++k) {
    if (error_kind_name(static_cast<ErrorKind>(k)) == name) return static_cast<ErrorKind>(k);
  }
  return std::nullopt;
}

int64_t RunResult::non_2xx() const {
  int64_t n = 0;
  for (const auto& [code, count] : status_codes) {
    if (code < 200 || code > 299) n += count;
  }
  return n;
}

RequestedRate::RequestedRate(const RunOptions& options)
    : constant_rps_(options.requested_rps), warmup_ns_(options.warmup_ns) {
  if (options.requested_rps <= 0 || options.rate_shape.empty()) return;
  auto shape = RateShape::create(options.rate_shape, std::numeric_limits<double>::max());
  if (shape.ok()) shape_ = std::move(*shape);
}

double RequestedRate::arrivals(int64_t from_ns, int64_t to_ns) const {
  if (to_ns <= from_ns || constant_rps_ <= 0) return 0;
  if (!shape_) return constant_rps_ * static_cast<double>(to_ns - from_ns) / 1e9;
  // The shape counts from the start of the run; the measured window from the warm-up's end.
  return shape_->cumulative(warmup_ns_ + to_ns) - shape_->cumulative(warmup_ns_ + from_ns);
}

double RequestedRate::rps_in_second(int64_t second, double duration_s) const {
  if (duration_s <= 0) return 0;
  const int64_t from = second * 1'000'000'000;
  return arrivals(from, from + static_cast<int64_t>(duration_s * 1e9)) / duration_s;
}

}  // namespace nightjar::model
