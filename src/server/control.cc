#include "server/control.h"

#include <string>

#include "common/duration.h"

namespace nightjar::server {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 token characters, the only ones allowed in a field name.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Field values may hold visible characters, spaces, tabs and obs-text, never CR, LF or
// other control characters (which would let a control split the response).
bool is_field_value_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status bad_control(std::string_view raw, std::string_view why) {
  std::string message = "bad control '";
  message.append(raw).append("': ").append(why);
  return Status::invalid_argument(std::move(message));
}

// Digits with an optional k (1024) or m (1024*1024) suffix; false when malformed.
bool parse_byte_count(std::string_view text, uint64_t& bytes) {
  uint64_t multiplier = 1;
  if (!text.empty()) {
    const char last = to_lower(text.back());
    if (last == 'k') multiplier = 1024;
    if (last == 'm') multiplier = uint64_t{1024} * 1024;
    if (multiplier != 1) text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 15) return false;  // 15 digits cannot overflow below
  uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  bytes = value * multiplier;
  return true;
}

// "1"/"true" or "0"/"false"; false when neither.
bool parse_flag(std::string_view text, bool& flag) {
  if (text == "1" || text == "true") {
    flag = true;
  } else if (text == "0" || text == "false") {
    flag = false;
  } else {
    return false;
  }
  return true;
}

bool is_known_key(std::string_view key, ControlDialect dialect) {
  if (key == "size" || key == "status" || key == "delay" || key == "reset" || key == "goaway")
    return true;
  return dialect == ControlDialect::kHttp && (key == "header" || key == "close");
}

}  // namespace

void ResponseControls::reset() {
  status = 200;
  grpc_status = 0;
  size_bytes = 0;
  delay_ns = 0;
  close = false;
  reset_stream = false;
  goaway = false;
  has_content_type = false;
  extra_headers.clear();
  extra_header_count = 0;
}

std::string_view query_of(std::string_view target) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  const size_t hash = query.find('#');
  return hash == std::string_view::npos ? query : query.substr(0, hash);
}

Status ControlParser::apply(std::string_view text, ResponseControls& controls,
                            ControlDialect dialect) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view raw = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (raw.empty()) continue;
    const size_t eq = raw.find('=');
    const std::string_view key = trim_ows(raw.substr(0, eq));
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : trim_ows(raw.substr(eq + 1));
    Status status = apply_one(key, value, raw, controls, dialect);
    if (!status.ok()) return status;
  }
  return Status::ok_status();
}

Status ControlParser::apply_one(std::string_view key, std::string_view value, std::string_view raw,
                                ResponseControls& controls, ControlDialect dialect) {
  if (!is_known_key(key, dialect)) return Status::ok_status();
  if (value.find('%') != std::string_view::npos) {
    decoded_.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '%') {
        decoded_.push_back(value[i]);
        continue;
      }
      const int hi = i + 2 < value.size() ? hex_value(value[i + 1]) : -1;
      const int lo = hi >= 0 ? hex_value(value[i + 2]) : -1;
      if (lo < 0) return bad_control(raw, "malformed percent-encoding");
      decoded_.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    value = decoded_;
  }

  if (key == "size") {
    uint64_t bytes = 0;
    if (!parse_byte_count(value, bytes)) {
      return bad_control(raw, "expected a byte count such as 100, 4k or 2m");
    }
    if (bytes > kMaxResponseBodyBytes) return bad_control(raw, "larger than 1 TiB");
    controls.size_bytes = bytes;
  } else if (key == "status" && dialect == ControlDialect::kGrpc) {
    int code = -1;
    if (value.size() == 1 && is_digit(value[0])) code = value[0] - '0';
    if (value.size() == 2 && value[0] == '1' && is_digit(value[1])) code = 10 + (value[1] - '0');
    if (code < 0 || code > 16) return bad_control(raw, "expected a gRPC status code from 0 to 16");
    controls.grpc_status = code;
  } else if (key == "status") {
    int code = 0;
    const bool three_digits =
        value.size() == 3 && is_digit(value[0]) && is_digit(value[1]) && is_digit(value[2]);
    if (three_digits) code = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
    if (code < 100 || code > 599) {
      return bad_control(raw, "expected a status code from 100 to 599");
    }
    controls.status = code;
  } else if (key == "delay") {
    Result<int64_t> delay = parse_duration_ns(value);
    if (!delay.ok()) return bad_control(raw, delay.status().message());
    if (*delay > kMaxDelayNs) return bad_control(raw, "longer than the maximum of 10m");
    controls.delay_ns = *delay;
  } else if (key == "header") {
    const size_t colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return bad_control(raw, "expected Name:value");
    }
    const std::string_view name = value.substr(0, colon);
    const std::string_view field_value = trim_ows(value.substr(colon + 1));
    for (char c : name) {
      if (!is_tchar(c)) return bad_control(raw, "the header name has a character not allowed");
    }
    for (char c : field_value) {
      if (!is_field_value_char(c)) {
        return bad_control(raw, "the header value has a control character (CR, LF, ...)");
      }
    }
    // These decide how the response is framed; the server alone sets them.
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "connection")) {
      return bad_control(raw, "this header is set by the server (use size= or close=)");
    }
    if (controls.extra_header_count >= kMaxHeaderControls) {
      return bad_control(raw, "more than " + std::to_string(kMaxHeaderControls) +
                                  " header= controls in one request");
    }
    if (controls.extra_headers.size() + name.size() + field_value.size() + 4 >
        kMaxHeaderControlBytes) {
      return bad_control(raw, "the header= controls of one request add more than " +
                                  std::to_string(kMaxHeaderControlBytes) + " bytes of header");
    }
    if (iequals(name, "content-type")) controls.has_content_type = true;
    controls.extra_headers.append(name).append(": ").append(field_value).append("\r\n");
    ++controls.extra_header_count;
  } else {  // close, reset, goaway
    bool& flag = key == "close"   ? controls.close
                 : key == "reset" ? controls.reset_stream
                                  : controls.goaway;
    if (!parse_flag(value, flag)) return bad_control(raw, "expected 1 or 0");
  }
  return Status::ok_status();
}

}  // namespace nightjar::server
