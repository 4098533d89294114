#include "config/smps_test.h"

#include <yaml-cpp/binary.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <utility>

#include "common/duration.h"
#include "config/nightjar_section.h"
#include "http/grpc.h"

namespace nightjar::config {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Carries the file name and turns yaml-cpp marks into "FILE:LINE:COL: path: message".
class Context {
 public:
  explicit Context(const std::string& source) : source_(source) {}

  Status error(const YAML::Node& node, const std::string& path, const std::string& message) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      where +=
          ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
    return Status::invalid_argument(where + ": " + path + ": " + message);
  }

  // The first of `names` present in `map` (legacy snake_case or camelCase), or an
  // undefined node. `found` receives the name used, for messages.
  static YAML::Node field(const YAML::Node& map, std::initializer_list<const char*> names,
                          std::string& found) {
    for (const char* name : names) {
      if (YAML::Node n = map[name]; n.IsDefined() && !n.IsNull()) {
        found = name;
        return n;
      }
    }
    found = *names.begin();
    return YAML::Node(YAML::NodeType::Undefined);
  }

  Result<std::string> string(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) return error(n, path, "must be a string");
    return n.Scalar();
  }

  Result<int64_t> integer(const YAML::Node& n, const std::string& path, int64_t min,
                          int64_t max) const {
    if (!n.IsScalar()) return error(n, path, "must be a whole number");
    int64_t value = 0;
    try {
      value = n.as<int64_t>();
    } catch (const YAML::Exception&) {
      return error(n, path, "must be a whole number, not '" + n.Scalar() + "'");
    }
    if (value < min || value > max) {
      return error(n, path,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  Result<double> number(const YAML::Node& n, const std::string& path) const {
    if (!n.IsScalar()) return error(n, path, "must be a number");
    double value = 0;
    try {
      value = n.as<double>();
    } catch (const YAML::Exception&) {
      return error(n, path, "must be a number, not '" + n.Scalar() + "'");
    }
    if (!std::isfinite(value)) return error(n, path, "must be a finite number");
    return value;
  }

  Result<bool> boolean(const YAML::Node& n, const std::string& path) const {
    try {
      if (n.IsScalar()) return n.as<bool>();
    } catch (const YAML::Exception&) {
    }
    return error(n, path, "must be true or false");
  }

  // A Go duration ("30s", "1m30s") from `min_ns` to `max_ns`.
  Result<int64_t> duration(const YAML::Node& n, const std::string& path, int64_t min_ns,
                           int64_t max_ns) const {
    auto text = string(n, path);
    if (!text.ok()) return text.status();
    auto ns = parse_duration_ns(*text);
    if (!ns.ok()) return error(n, path, ns.status().message());
    if (*ns < min_ns || *ns > max_ns) {
      return error(
          n, path,
          "must be from " + format_duration_ns(min_ns) + " to " + format_duration_ns(max_ns));
    }
    return *ns;
  }

  // A map of names to strings, in the file's order.
  Result<Pairs> string_pairs(const YAML::Node& n, const std::string& path) const {
    Pairs out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (n.IsScalar() && n.Scalar().empty()) return out;
    if (!n.IsMap()) return error(n, path, "must be a map of names to strings");
    for (const auto& kv : n) {
      if (!kv.second.IsScalar())
        return error(kv.second, path + "." + kv.first.Scalar(), "must be a string");
      out.emplace_back(kv.first.Scalar(), kv.second.Scalar());
    }
    return out;
  }

  // Base64 text (nightjar's bodyBase64, grpc.messageBase64), decoded.
  Result<std::string> base64(const YAML::Node& n, const std::string& path) const {
    auto text = string(n, path);
    if (!text.ok()) return text.status();
    const std::vector<unsigned char> bytes = YAML::DecodeBase64(*text);
    if (bytes.empty() && !text->empty()) return error(n, path, "is not base64");
    return std::string(bytes.begin(), bytes.end());
  }

  // The whole of the regular file a field names (nightjar's bodyFile, grpc.messageFile), at
  // most load::limits::kMaxBodyBytes. A relative path is from the current folder. Not a pipe
  // or a device: a test file never blocks its reader (nor the fuzzer on /dev/stdin).
  Result<std::string> file(const YAML::Node& n, const std::string& path) const {
    auto name = string(n, path);
    if (!name.ok()) return name.status();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*name, ec)) {
      return error(n, path, "cannot read '" + *name + "' (not a regular file)");
    }
    std::ifstream in(*name, std::ios::binary);
    if (!in) return error(n, path, "cannot read '" + *name + "'");
    std::string data;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      data.append(buffer, static_cast<size_t>(in.gcount()));
      if (data.size() > load::limits::kMaxBodyBytes) {
        return error(n, path,
                     "'" + *name + "' is larger than " +
                         std::to_string(load::limits::kMaxBodyBytes) + " bytes");
      }
    }
    if (in.bad()) return error(n, path, "cannot read '" + *name + "'");
    return data;
  }

 private:
  const std::string source_;
};

// The `nightjar:` section as read, and its node (for the line and column of messages about
// how it fits a client).
struct Section {
  NightjarSection values;
  YAML::Node node{YAML::NodeType::Undefined};

  // The node of `nightjar.<key>`, for messages ("nightjar.tls"); the section's own when absent.
  YAML::Node at(const char* key) const {
    if (node.IsMap()) {
      if (YAML::Node n = node[key]; n.IsDefined()) return n;
    }
    return node;
  }
};

using FieldReader = std::function<Status(const YAML::Node&, const std::string&)>;
using Readers = std::vector<std::pair<const char*, FieldReader>>;

// Reads the keys of `map` (at `path`), each by the reader `known` has for it; a key not in
// `known` is refused, naming the keys there are.
Status read_keys(const Context& ctx, const YAML::Node& map, const std::string& path,
                 const Readers& known) {
  if (!map.IsMap()) return ctx.error(map, path, "must be a map of options");
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    const auto reader =
        std::find_if(known.begin(), known.end(), [&](const auto& k) { return key == k.first; });
    if (reader == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + std::string(k.first);
      return ctx.error(kv.first, path + "." + key,
                       "unknown option (" + path + " has " + names + ")");
    }
    if (kv.second.IsNull()) continue;
    if (Status s = reader->second(kv.second, path + "." + key); !s.ok()) return s;
  }
  return {};
}

// Sets `into` from a reader's result, or returns its error.
template <typename T, typename U>
Status assign(Result<U> value, std::optional<T>& into) {
  if (!value.ok()) return value.status();
  into = static_cast<T>(*value);
  return {};
}

// The `nightjar:` section: every value checked here, by type and range, with messages naming
// the field (nightjar.threads); how the section fits each client is checked in parse_client.
Result<Section> read_section(const Context& ctx, const YAML::Node& node) {
  Section section;
  if (!node.IsDefined() || node.IsNull()) return section;  // (also a const lookup's "zombie")
  section.node.reset(node);
  NightjarSection& v = section.values;
  namespace limits = load::limits;
  // The readers of each kind of field, each setting `into`.
  auto text = [&ctx](std::optional<std::string>& into) -> FieldReader {
    return [&ctx, &into](const YAML::Node& n, const std::string& p) {
      return assign(ctx.string(n, p), into);
    };
  };
  auto whole = [&ctx](std::optional<int64_t>& into, int64_t min, int64_t max) -> FieldReader {
    return [&ctx, &into, min, max](const YAML::Node& n, const std::string& p) {
      return assign(ctx.integer(n, p, min, max), into);
    };
  };
  auto duration = [&ctx](std::optional<int64_t>& into, int64_t min_ns,
                         int64_t max_ns) -> FieldReader {
    return [&ctx, &into, min_ns, max_ns](const YAML::Node& n, const std::string& p) {
      return assign(ctx.duration(n, p, min_ns, max_ns), into);
    };
  };
  auto flag = [&ctx](bool& into) -> FieldReader {
    return [&ctx, &into](const YAML::Node& n, const std::string& p) {
      auto b = ctx.boolean(n, p);
      if (b.ok()) into = *b;
      return b.status();
    };
  };
  // Bytes (a body, a gRPC message) from exactly one of two fields: base64 text or a file.
  std::optional<std::string> body_from;
  std::optional<std::string> message_from;
  auto bytes = [&ctx](std::optional<std::string>& into, std::optional<std::string>& from,
                      bool file) -> FieldReader {
    return [&ctx, &into, &from, file](const YAML::Node& n, const std::string& p) -> Status {
      if (from) return ctx.error(n, p, "cannot be used together with " + *from);
      from = p;
      return assign(file ? ctx.file(n, p) : ctx.base64(n, p), into);
    };
  };
  const Readers tls = {{"caFile", text(v.ca_file)},
                       {"insecure", flag(v.insecure)},
                       {"sni", text(v.sni)},
                       {"cert", text(v.cert_file)},
                       {"key", text(v.key_file)}};
  const Readers grpc = {{"method", text(v.grpc_method)},
                        {"messageBase64", bytes(v.grpc_message, message_from, false)},
                        {"messageFile", bytes(v.grpc_message, message_from, true)},
                        {"health", flag(v.grpc_health)}};
  const Readers top = {
      {"rps",
       [&](const YAML::Node& n, const std::string& p) -> Status {
         auto rps = ctx.number(n, p);
         if (!rps.ok()) return rps.status();
         if (*rps != 0 && (*rps < limits::kMinRps || *rps > limits::kMaxRps)) {
           return ctx.error(n, p, "must be 0 (closed loop) or from 0.001 to 10000000");
         }
         v.rps = *rps;
         return {};
       }},
      {"arrival",
       [&](const YAML::Node& n, const std::string& p) -> Status {
         auto arrival = ctx.string(n, p);
         if (!arrival.ok()) return arrival.status();
         if (*arrival != "uniform" && *arrival != "poisson") {
           return ctx.error(n, p, "must be uniform or poisson (got '" + *arrival + "')");
         }
         v.arrival = *arrival;
         return {};
       }},
      {"seed", whole(v.seed, 0, static_cast<int64_t>(limits::kMaxSeed))},
      {"rateShape",
       [&](const YAML::Node& n, const std::string& p) -> Status {
         if (!n.IsSequence() || n.size() == 0) {
           return ctx.error(n, p, "must be a list of {duration, from, to}");
         }
         if (n.size() > model::kMaxRateSegments) {
           return ctx.error(n, p, "has more than " + std::to_string(model::kMaxRateSegments) + " stages");
         }
         for (size_t i = 0; i < n.size(); ++i) {
           const std::string at = p + "[" + std::to_string(i) + "]";
           std::optional<int64_t> duration_ns;
           std::optional<double> from;
           std::optional<double> to;
           auto rate = [&](std::optional<double>& into) -> FieldReader {
             return [&](const YAML::Node& r, const std::string& rp) -> Status {
               auto value = ctx.number(r, rp);
               if (!value.ok()) return value.status();
               if (*value < 0 || *value > limits::kMaxRps) {
                 return ctx.error(r, rp, "must be a rate from 0 to 10000000");
               }
               into = *value;
               return {};
             };
           };
           const Readers stage = {{"duration", duration(duration_ns, 1, limits::kMaxDurationNs)},
                                  {"from", rate(from)},
                                  {"to", rate(to)}};
           if (Status s = read_keys(ctx, n[i], at, stage); !s.ok()) return s;
           if (!duration_ns || !from || !to) {
             return ctx.error(n[i], at, "needs duration, from and to");
           }
           v.rate_shape.push_back({*duration_ns, *from, *to});
         }
         return {};
       }},
      {"requests", whole(v.requests, 0, limits::kMaxRequests)},
      {"warmup", duration(v.warmup_ns, 0, limits::kMaxWarmupNs)},
      {"timeout", duration(v.timeout_ns, limits::kMinTimeoutNs, limits::kMaxTimeoutNs)},
      {"threads", whole(v.threads, 1, limits::kMaxThreads)},
      {"maxPending", whole(v.max_pending, 0, limits::kMaxPending)},
      {"method", text(v.method)},
      {"protocol",
       [&](const YAML::Node& n, const std::string& p) -> Status {
         auto protocol = ctx.string(n, p);
         if (!protocol.ok()) return protocol.status();
         if (*protocol != "http1" && *protocol != "h2") {
           return ctx.error(n, p, "must be http1 or h2 (got '" + *protocol + "')");
         }
         v.protocol = *protocol;
         return {};
       }},
      {"maxConcurrentStreams", whole(v.max_concurrent_streams, 1, limits::kMaxConcurrentStreams)},
      {"bodyBase64", bytes(v.body, body_from, false)},
      {"bodyFile", bytes(v.body, body_from, true)},
      {"tls", [&](const YAML::Node& n, const std::string& p) { return read_keys(ctx, n, p, tls); }},
      {"grpc",
       [&](const YAML::Node& n, const std::string& p) { return read_keys(ctx, n, p, grpc); }},
  };
  if (Status s = read_keys(ctx, node, "nightjar", top); !s.ok()) return s;
  return section;
}

// The client's protocol. Integers are accepted but only informational: the enum was
// renumbered between SMPS versions (http = 0 in the old proto, PROTOCOL_HTTP = 1 in the
// current one; Meshery's own files pair 1 with https URLs), so the URL's scheme decides.
// Names ("http", "grpc", "PROTOCOL_HTTP", any case) are checked.
Result<std::string> protocol_name(const Context& ctx, const YAML::Node& n,
                                  const std::string& path) {
  if (!n.IsDefined() || n.IsNull()) return std::string("http");
  if (!n.IsScalar()) return ctx.error(n, path, "must be a protocol name or number");
  const std::string text = n.Scalar();
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 1 || text[0] > '4')
      return ctx.error(n, path, "unknown protocol number " + text + " (0..4)");
    return std::string("http");
  }
  std::string lower;
  for (char c : text)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.rfind("protocol_", 0) == 0) lower = lower.substr(9);
  if (lower == "http" || lower == "https" || lower == "unspecified") return std::string("http");
  if (lower == "grpc") return std::string("grpc");
  if (lower == "tcp" || lower == "udp") {
    return ctx.error(n, path,
                     "protocol '" + text + "' is not supported (nightjar generates HTTP load)");
  }
  return ctx.error(n, path, "unknown protocol '" + text + "' (http, grpc, tcp, udp or a number)");
}

// The request of a client: headers (in the file's order), cookies as one Cookie header, the
// body and its Content-Type.
Status read_request(const Context& ctx, const YAML::Node& node, const std::string& path,
                    load::LoadOptions& o) {
  std::string used;
  auto headers = ctx.string_pairs(Context::field(node, {"headers"}, used), path + ".headers");
  if (!headers.ok()) return headers.status();
  for (const auto& [name, value] : *headers) {
    auto h = http::parse_header(name + ": " + value);
    if (!h.ok())
      return ctx.error(node["headers"][name], path + ".headers." + name, h.status().message());
    o.request.headers.push_back(*h);
  }
  auto cookies = ctx.string_pairs(Context::field(node, {"cookies"}, used), path + ".cookies");
  if (!cookies.ok()) return cookies.status();
  if (!cookies->empty()) {
    std::string cookie;
    for (const auto& [name, value] : *cookies)
      cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    auto h = http::parse_header("Cookie: " + cookie);
    if (!h.ok()) return ctx.error(node["cookies"], path + ".cookies", h.status().message());
    o.request.headers.push_back(*h);
  }
  if (YAML::Node n = Context::field(node, {"body"}, used); n.IsDefined()) {
    auto body = ctx.string(n, path + ".body");
    if (!body.ok()) return body.status();
    o.request.body = *body;
  }
  if (YAML::Node n = Context::field(node, {"content_type", "contentType"}, used); n.IsDefined()) {
    auto type = ctx.string(n, path + "." + used);
    if (!type.ok()) return type.status();
    if (!type->empty()) o.request.headers.emplace_back("Content-Type", *type);
  }
  return {};
}

// What the `nightjar:` section says about a client (`node`, at `path`), applied over what its
// SMPS fields said; the checks that need both are here.
Status apply_section(const Context& ctx, const Section& section, const YAML::Node& node,
                     const std::string& path, load::LoadOptions& o) {
  const NightjarSection& v = section.values;
  if (v.body) {
    if (!o.request.body.empty()) {
      const char* field = section.node["bodyFile"].IsDefined() ? "bodyFile" : "bodyBase64";
      return ctx.error(section.at(field), std::string("nightjar.") + field,
                       "cannot be used with " + path + ".body");
    }
    o.request.body = *v.body;
  }
  if (v.rps) o.run.requested_rps = *v.rps;
  if (v.arrival) o.run.arrival = *v.arrival;
  if (v.seed) o.run.seed = static_cast<uint64_t>(*v.seed);
  if (!v.rate_shape.empty()) o.run.rate_shape = v.rate_shape;
  if (v.requests) o.run.requests = *v.requests;
  if (v.warmup_ns) o.run.warmup_ns = *v.warmup_ns;
  if (v.timeout_ns) o.run.timeout_ns = *v.timeout_ns;
  if (v.threads) o.run.threads = static_cast<int>(*v.threads);
  if (v.max_pending) o.run.max_pending = *v.max_pending;
  if (v.max_concurrent_streams)
    o.run.max_concurrent_streams = static_cast<int>(*v.max_concurrent_streams);
  if (v.ca_file) {
    if (!o.tls.ca_file.empty()) {
      return ctx.error(section.at("tls"), "nightjar.tls.caFile",
                       path + ".sslCertificate names the CA file already");
    }
    o.tls.ca_file = *v.ca_file;
  }
  o.tls.insecure = v.insecure;
  o.tls.sni = v.sni.value_or("");
  o.tls.cert_file = v.cert_file.value_or("");
  o.tls.key_file = v.key_file.value_or("");
  const bool grpc = o.run.protocol == "grpc";
  if (v.grpc_method || v.grpc_message || v.grpc_health) {
    if (!grpc)
      return ctx.error(section.at("grpc"), "nightjar.grpc",
                       "applies to clients with protocol grpc (" + path + " is not)");
    if (v.grpc_message && !v.grpc_method) {
      return ctx.error(section.at("grpc"), "nightjar.grpc",
                       "a message needs grpc.method (the built-in ping sends its own message)");
    }
  }
  if (grpc) {
    if (!o.request.body.empty()) {
      return ctx.error(node, path + ".body",
                       "a gRPC client sends a message (nightjar.grpc), not a body");
    }
    if (v.method)
      return ctx.error(section.at("method"), "nightjar.method",
                       "does not apply to gRPC (calls are POSTs)");
    if (v.grpc_method) {
      if (Status s = http::validate_grpc_method(*v.grpc_method); !s.ok()) {
        return ctx.error(section.at("grpc"), "nightjar.grpc.method", s.message());
      }
      o.run.grpc_method = *v.grpc_method;
      o.grpc_message = v.grpc_message.value_or("");
    } else {
      o.run.grpc_method = std::string(http::kBuiltinPingMethod);
      o.grpc_message = http::builtin_ping_message();
    }
    o.grpc_health = v.grpc_health;
    o.request.method = "POST";
  } else {
    o.request.method = v.method.value_or(o.request.body.empty() ? "GET" : "POST");
  }
  return {};
}

Result<TestClient> parse_client(const Context& ctx, const YAML::Node& node, size_t index,
                                const TestPlan& plan, const Section& section) {
  const std::string path = "clients[" + std::to_string(index) + "]";
  if (!node.IsMap()) return ctx.error(node, path, "must be a map of client settings");
  TestClient client;
  client.name = "client-" + std::to_string(index);
  load::LoadOptions& o = client.options;
  std::string used;

  YAML::Node urls =
      Context::field(node, {"endpoint_urls", "endpointUrls", "endpoint_url", "endpointUrl"}, used);
  if (!urls.IsDefined())
    return ctx.error(node, path + ".endpoint_urls", "is missing (at least one URL)");
  const std::string urls_path = path + "." + used;
  std::vector<YAML::Node> url_nodes;
  if (urls.IsScalar()) {
    url_nodes.push_back(urls);
  } else if (urls.IsSequence() && urls.size() > 0) {
    for (const auto& u : urls) url_nodes.push_back(u);
  } else {
    return ctx.error(urls, urls_path, "must be a list of at least one URL");
  }
  for (size_t i = 0; i < url_nodes.size(); ++i) {
    const std::string upath = urls_path + "[" + std::to_string(i) + "]";
    auto text = ctx.string(url_nodes[i], upath);
    if (!text.ok()) return text.status();
    auto url = http::parse_url(*text);
    if (!url.ok()) return ctx.error(url_nodes[i], upath, url.status().message());
    o.urls.push_back(*url);
    o.run.urls.push_back(url->to_string());
  }

  YAML::Node protocol_node = Context::field(node, {"protocol"}, used);
  auto protocol = protocol_name(ctx, protocol_node, path + ".protocol");
  if (!protocol.ok()) return protocol.status();
  // The URL's scheme decides how nightjar speaks; the enum is informational where a URL
  // says http (Meshery's own test files pair protocol 1 with https endpoints). gRPC turns
  // http:// into grpc:// and https:// into grpcs://.
  if (*protocol == "grpc") {
    for (size_t i = 0; i < o.urls.size(); ++i) {
      http::Url& url = o.urls[i];
      if (url.scheme == "http") url.scheme = "grpc";
      if (url.scheme == "https") url.scheme = "grpcs";
      if (url.scheme == "h2c")
        return ctx.error(url_nodes[i], urls_path,
                         "an h2c:// URL cannot carry gRPC here; use grpc://");
      o.run.urls[i] = url.to_string();
    }
  }
  const std::optional<std::string>& forced = section.values.protocol;
  auto resolved = load::resolve_protocol(o.urls, forced.value_or(""));
  if (!resolved.ok()) {
    return forced
               ? ctx.error(section.at("protocol"), "nightjar.protocol", resolved.status().message())
               : ctx.error(url_nodes.front(), urls_path, resolved.status().message());
  }
  o.run.protocol = *resolved;
  o.run.tls = load::uses_tls(o.urls.front());

  o.run.connections = kDefaultConnections;
  if (YAML::Node n = Context::field(node, {"connections"}, used); n.IsDefined()) {
    auto v = ctx.integer(n, path + ".connections", 0, 100000);
    if (!v.ok()) return v.status();
    if (*v > 0) o.run.connections = static_cast<int>(*v);
  }
  if (YAML::Node n = Context::field(node, {"rps", "qps"}, used); n.IsDefined()) {
    auto v = ctx.integer(n, path + "." + used, 0, 10'000'000);
    if (!v.ok()) return v.status();
    o.run.requested_rps = static_cast<double>(*v);
  }
  if (Status s = read_request(ctx, node, path, o); !s.ok()) return s;
  YAML::Node ssl_node = Context::field(node, {"ssl_certificate", "sslCertificate"}, used);
  const std::string ssl_path = path + "." + used;
  if (ssl_node.IsDefined()) {
    // As Meshery uses it: the CA certificate (PEM file) the target's certificate is checked
    // against.
    auto file = ctx.string(ssl_node, ssl_path);
    if (!file.ok()) return file.status();
    if (!file->empty() && !o.run.tls)
      return ctx.error(ssl_node, ssl_path, "applies to https:// endpoints only");
    o.tls.ca_file = *file;
  }

  o.run.duration_ns = plan.duration_ns;
  o.run.threads = kDefaultThreads;
  o.run.timeout_ns = kDefaultTimeoutNs;
  o.run.max_pending = kDefaultMaxPending;
  if (Status s = apply_section(ctx, section, node, path, o); !s.ok()) return s;
  if (!o.run.rate_shape.empty()) {
    // A shaped client requests its shape's mean over the measured window (as --stages does).
    auto shape = model::RateShape::create(o.run.rate_shape, load::limits::kMaxRps);
    if (!shape.ok()) return ctx.error(section.at("rateShape"), "nightjar.rateShape", shape.status().message());
    o.run.requested_rps = shape->mean_rps_over(o.run.warmup_ns, o.run.warmup_ns + o.run.duration_ns);
  }
  o.run.method = o.request.method;
  o.run.headers = o.request.headers;
  o.run.body_bytes = static_cast<int64_t>(o.run.protocol == "grpc" ? o.grpc_message.size()
                                                                   : o.request.body.size());
  o.run.test_name = plan.name;
  o.run.labels = plan.labels;
  if (Status s = load::validate_tls(o); !s.ok()) {
    const bool section_tls = section.node.IsMap() && section.node["tls"].IsDefined();
    return section_tls || !ssl_node.IsDefined()
               ? ctx.error(section.at("tls"), "nightjar.tls", s.message())
               : ctx.error(ssl_node, ssl_path, s.message());
  }
  if (Status s = load::validate(o); !s.ok()) return ctx.error(node, path, s.message());
  if (o.run.protocol == "http/1.1") o.run.max_concurrent_streams = 1;  // as `nightjar load` does
  return client;
}

Result<TestPlan> parse_document(const Context& ctx, const YAML::Node& root) {
  if (!root.IsMap())
    return ctx.error(root, "(top)", "a test file is a map with name, duration and clients");
  TestPlan plan;
  YAML::Node test = root;
  std::string used;
  if (YAML::Node wrapped = root["test"]; wrapped.IsDefined() && wrapped.IsMap()) {
    test.reset(wrapped);  // legacy: `test:` beside `mesh:` (reset: Node's operator= writes through)
    if (YAML::Node mesh = root["mesh"]; mesh.IsDefined() && mesh.IsMap()) {
      for (const auto& kv : mesh) {
        if (kv.second.IsScalar()) plan.labels["mesh." + kv.first.Scalar()] = kv.second.Scalar();
      }
    }
  }
  if (YAML::Node n = Context::field(test, {"name"}, used); n.IsDefined()) {
    auto name = ctx.string(n, "name");
    if (!name.ok()) return name.status();
    plan.name = *name;
  }
  auto labels = ctx.string_pairs(Context::field(test, {"labels"}, used), "labels");
  if (!labels.ok()) return labels.status();
  plan.labels.insert(labels->begin(), labels->end());
  // Beside `clients`; in the wrapped legacy shape also beside `test:` and `mesh:`. (Read
  // through const nodes: yaml-cpp's non-const operator[] adds the key it looks up.)
  const YAML::Node& in_test = test;
  const YAML::Node& at_root = root;
  auto section = read_section(ctx, in_test["nightjar"].IsDefined() ? in_test["nightjar"]
                                                                   : at_root["nightjar"]);
  if (!section.ok()) return section.status();

  YAML::Node duration = Context::field(test, {"duration"}, used);
  if (!duration.IsDefined())
    return ctx.error(test, "duration", "is missing (a Go duration such as 30s)");
  auto duration_text = ctx.string(duration, "duration");
  if (!duration_text.ok()) return duration_text.status();
  auto duration_ns = parse_duration_ns(*duration_text);
  if (!duration_ns.ok()) return ctx.error(duration, "duration", duration_ns.status().message());
  // 0s: a run bounded by its number of requests alone (nightjar.requests).
  if (*duration_ns <= 0 && section->values.requests.value_or(0) == 0) {
    return ctx.error(duration, "duration", "must be above 0 (0s only with nightjar.requests)");
  }
  plan.duration_ns = *duration_ns;

  YAML::Node clients = Context::field(test, {"clients", "client"}, used);
  if (!clients.IsDefined()) return ctx.error(test, "clients", "is missing (at least one client)");
  if (!clients.IsSequence() || clients.size() == 0) {
    return ctx.error(clients, used, "must be a list of at least one client");
  }
  if (clients.size() > kMaxTestClients) {
    return ctx.error(clients, used,
                     "has " + std::to_string(clients.size()) + " clients, more than the limit of " +
                         std::to_string(kMaxTestClients));
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    auto client = parse_client(ctx, clients[i], i, plan, *section);
    if (!client.ok()) return client.status();
    plan.clients.push_back(std::move(*client));
  }
  if (YAML::Node slos = Context::field(test, {"slos"}, used); slos.IsDefined()) {
    if (!slos.IsSequence()) return ctx.error(slos, "slos", "must be a list of SLOs such as p99<20ms");
    for (size_t i = 0; i < slos.size(); ++i) {
      const std::string path = "slos[" + std::to_string(i) + "]";
      auto text = ctx.string(slos[i], path);
      if (!text.ok()) return text.status();
      auto slo = slo::parse_slo(*text);
      if (!slo.ok()) return ctx.error(slos[i], path, slo.status().message());
      plan.slos.push_back(std::move(*slo));
    }
  }
  return plan;
}

// Walks the parser's events before the document is built, and stops at the first map or
// sequence nested deeper than kMaxTestFileDepth (yaml-cpp's own guard allows 2000 levels).
class DepthCheck final : public YAML::EventHandler {
 public:
  struct TooDeep {
    YAML::Mark mark;
  };

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > kMaxTestFileDepth) throw TooDeep{mark};
  }

  int depth_ = 0;
};

std::string where(const std::string& source, const YAML::Mark& mark) {
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

Result<TestPlan> parse_smps_test(std::string_view text, const std::string& source) {
  if (text.size() > kMaxTestFileBytes) {
    return Status::invalid_argument(source + ": the file is " + std::to_string(text.size()) +
                                    " bytes, more than the limit of " +
                                    std::to_string(kMaxTestFileBytes));
  }
  const Context ctx(source);
  YAML::Node root;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DepthCheck depth_check;
    parser.HandleNextDocument(depth_check);
    root = YAML::Load(std::string(text));
  } catch (const DepthCheck::TooDeep& e) {
    return Status::invalid_argument(where(source, e.mark) + ": maps and lists nest deeper than " +
                                    std::to_string(kMaxTestFileDepth) +
                                    " levels (an SMPS test nests 4)");
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(where(source, e.mark) + ": not valid YAML or JSON: " + e.msg);
  }
  try {
    return parse_document(ctx, root);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(where(source, e.mark) + ": " + e.msg);
  }
}

}  // namespace nightjar::config
