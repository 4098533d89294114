#include "server/connection_base.h"

#include <limits>

namespace nightjar::server {

TimeoutCheck next_timeout(int64_t now_ns, int64_t header_since_ns, int64_t idle_since_ns,
                          bool holding_response, const ConnectionLimits& limits) {
  TimeoutCheck next{std::numeric_limits<int64_t>::max(), false};
  if (header_since_ns != 0) next = {header_since_ns + limits.header_timeout_ns, true};
  if (!holding_response) {
    const int64_t idle_ns = idle_since_ns + limits.idle_timeout_ns;
    if (idle_ns < next.deadline_ns) next = {idle_ns, false};
  } else if (!next.header) {
    next.deadline_ns = now_ns + limits.idle_timeout_ns;  // look again once the response is out
  }
  return next;
}

int64_t ready_at_ns(int64_t arrival_ns, int64_t delay_ns) {
  return delay_ns > std::numeric_limits<int64_t>::max() - arrival_ns
             ? std::numeric_limits<int64_t>::max()
             : arrival_ns + delay_ns;
}

std::string body_limit_message(uint64_t max_body_bytes) {
  return "request body larger than the server's limit of " + std::to_string(max_body_bytes) +
         " bytes";
}

std::string header_limit_message(bool too_many_fields, const ConnectionLimits& limits) {
  return too_many_fields
             ? "more than " + std::to_string(limits.max_header_fields) + " request header fields"
             : "request header larger than the server's limit of " +
                   std::to_string(limits.max_header_bytes) + " bytes";
}

}  // namespace nightjar::server
