#include "config/smps_test.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>

#include "common/duration.h"
#include "http/grpc.h"

namespace nightjar::config {
namespace {

constexpr int kDefaultConnections = 10;
constexpr int64_t kDefaultTimeoutNs = 10 * kNanosPerSecond;
constexpr int64_t kDefaultMaxPending = 10000;

// Carries the file name and turns yaml-cpp marks into "FILE:LINE:COL: path: message".
class Context {
 public:
  explicit Context(const std::string& source) : source_(source) {}

  Status error(const YAML::Node& node, const std::string& path, const std::string& message) const {
    std::string where = source_;
    if (node.IsDefined() && node.Mark().line >= 0) {
      where += ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
    }
    return Status::invalid_argument(where + ": " + path + ": " + message);
  }

  // The first of `names` present in `map` (legacy snake_case or camelCase), or an
  // undefined node. `found` receives the name used, for messages.
  static YAML::Node field(const YAML::Node& map, std::initializer_list<const char*> names, std::string& found) {
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

  Result<int64_t> integer(const YAML::Node& n, const std::string& path, int64_t min, int64_t max) const {
    if (!n.IsScalar()) return error(n, path, "must be a whole number");
    int64_t value = 0;
    try {
      value = n.as<int64_t>();
    } catch (const YAML::Exception&) {
      return error(n, path, "must be a whole number, not '" + n.Scalar() + "'");
    }
    if (value < min || value > max) {
      return error(n, path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  Result<std::map<std::string, std::string>> string_map(const YAML::Node& n, const std::string& path) const {
    std::map<std::string, std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (n.IsScalar() && n.Scalar().empty()) return out;
    if (!n.IsMap()) return error(n, path, "must be a map of names to strings");
    for (const auto& kv : n) {
      if (!kv.second.IsScalar()) return error(kv.second, path + "." + kv.first.Scalar(), "must be a string");
      out[kv.first.Scalar()] = kv.second.Scalar();
    }
    return out;
  }

 private:
  const std::string source_;
};

// The client's protocol. Integers are accepted but only informational: the enum was
// renumbered between SMPS versions (http = 0 in the old proto, PROTOCOL_HTTP = 1 in the
// current one; Meshery's own files pair 1 with https URLs), so the URL's scheme decides.
// Names ("http", "grpc", "PROTOCOL_HTTP", any case) are checked.
Result<std::string> protocol_name(const Context& ctx, const YAML::Node& n, const std::string& path) {
  if (!n.IsDefined() || n.IsNull()) return std::string("http");
  if (!n.IsScalar()) return ctx.error(n, path, "must be a protocol name or number");
  const std::string text = n.Scalar();
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 1 || text[0] > '4') return ctx.error(n, path, "unknown protocol number " + text + " (0..4)");
    return std::string("http");
  }
  std::string lower;
  for (char c : text) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.rfind("protocol_", 0) == 0) lower = lower.substr(9);
  if (lower == "http" || lower == "https" || lower == "unspecified") return std::string("http");
  if (lower == "grpc") return std::string("grpc");
  if (lower == "tcp" || lower == "udp") {
    return ctx.error(n, path, "protocol '" + text + "' is not supported (nightjar generates HTTP load)");
  }
  return ctx.error(n, path, "unknown protocol '" + text + "' (http, grpc, tcp, udp or a number)");
}

Result<TestClient> parse_client(const Context& ctx, const YAML::Node& node, size_t index, int64_t duration_ns,
                                const std::string& test_name, const std::map<std::string, std::string>& labels) {
  const std::string path = "clients[" + std::to_string(index) + "]";
  if (!node.IsMap()) return ctx.error(node, path, "must be a map of client settings");
  TestClient client;
  client.name = "client-" + std::to_string(index);
  load::LoadOptions& o = client.options;
  std::string used;

  YAML::Node urls = Context::field(node, {"endpoint_urls", "endpointUrls", "endpoint_url", "endpointUrl"}, used);
  if (!urls.IsDefined()) return ctx.error(node, path + ".endpoint_urls", "is missing (at least one URL)");
  std::vector<YAML::Node> url_nodes;
  if (urls.IsScalar()) {
    url_nodes.push_back(urls);
  } else if (urls.IsSequence() && urls.size() > 0) {
    for (const auto& u : urls) url_nodes.push_back(u);
  } else {
    return ctx.error(urls, path + "." + used, "must be a list of at least one URL");
  }
  for (size_t i = 0; i < url_nodes.size(); ++i) {
    const std::string upath = path + "." + used + "[" + std::to_string(i) + "]";
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
  // http:// into grpc:// and https:// into grpcs://, calling the built-in ping.
  if (*protocol == "grpc") {
    for (size_t i = 0; i < o.urls.size(); ++i) {
      http::Url& url = o.urls[i];
      if (url.scheme == "http") url.scheme = "grpc";
      if (url.scheme == "https") url.scheme = "grpcs";
      if (url.scheme == "h2c") return ctx.error(url_nodes[i], path + ".endpoint_urls", "an h2c:// URL cannot carry gRPC here; use grpc://");
      o.run.urls[i] = url.to_string();
    }
    o.run.grpc_method = std::string(http::kBuiltinPingMethod);
    o.grpc_message = http::builtin_ping_message();
  }
  auto resolved = load::resolve_protocol(o.urls, "");
  if (!resolved.ok()) return ctx.error(url_nodes.front(), path + ".endpoint_urls", resolved.status().message());
  o.run.protocol = *resolved;
  o.run.tls = load::uses_tls(o.urls.front());

  if (YAML::Node n = Context::field(node, {"connections"}, used); n.IsDefined()) {
    auto v = ctx.integer(n, path + ".connections", 0, 100000);
    if (!v.ok()) return v.status();
    o.run.connections = *v > 0 ? static_cast<int>(*v) : kDefaultConnections;
  } else {
    o.run.connections = kDefaultConnections;
  }
  if (YAML::Node n = Context::field(node, {"rps", "qps"}, used); n.IsDefined()) {
    auto v = ctx.integer(n, path + "." + used, 0, 10'000'000);
    if (!v.ok()) return v.status();
    o.run.requested_rps = static_cast<double>(*v);
  }
  auto headers = ctx.string_map(Context::field(node, {"headers"}, used), path + ".headers");
  if (!headers.ok()) return headers.status();
  for (const auto& [name, value] : *headers) {
    auto h = http::parse_header(name + ": " + value);
    if (!h.ok()) return ctx.error(node["headers"][name], path + ".headers." + name, h.status().message());
    o.request.headers.push_back(*h);
  }
  auto cookies = ctx.string_map(Context::field(node, {"cookies"}, used), path + ".cookies");
  if (!cookies.ok()) return cookies.status();
  if (!cookies->empty()) {
    std::string cookie;
    for (const auto& [name, value] : *cookies) cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
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
  if (YAML::Node n = Context::field(node, {"ssl_certificate", "sslCertificate"}, used); n.IsDefined()) {
    // As Meshery uses it: the CA certificate (PEM file) the target's certificate is checked against.
    auto file = ctx.string(n, path + "." + used);
    if (!file.ok()) return file.status();
    if (!file->empty()) {
      if (!o.run.tls) return ctx.error(n, path + "." + used, "applies to https:// endpoints only");
      o.tls.ca_file = *file;
      if (auto context = tls::ClientContext::create(o.tls); !context.ok()) {
        return ctx.error(n, path + "." + used, context.status().message());
      }
    }
  }

  o.request.method = o.request.body.empty() ? "GET" : "POST";
  if (o.run.protocol == "grpc") {
    if (!o.request.body.empty()) return ctx.error(node, path + ".body", "a gRPC client sends the built-in ping, not a body");
    o.request.method = "POST";
    o.run.body_bytes = static_cast<int64_t>(o.grpc_message.size());
  }
  o.run.method = o.request.method;
  o.run.headers = o.request.headers;
  if (o.run.protocol != "grpc") o.run.body_bytes = static_cast<int64_t>(o.request.body.size());
  o.run.duration_ns = duration_ns;
  o.run.threads = 1;
  o.run.timeout_ns = kDefaultTimeoutNs;
  o.run.max_pending = kDefaultMaxPending;
  o.run.test_name = test_name;
  o.run.labels = labels;
  if (Status s = load::validate(o); !s.ok()) return ctx.error(node, path, s.message());
  return client;
}

Result<TestPlan> parse_document(const Context& ctx, const YAML::Node& root) {
  if (!root.IsMap()) return ctx.error(root, "(top)", "a test file is a map with name, duration and clients");
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
  auto labels = ctx.string_map(Context::field(test, {"labels"}, used), "labels");
  if (!labels.ok()) return labels.status();
  plan.labels.insert(labels->begin(), labels->end());

  YAML::Node duration = Context::field(test, {"duration"}, used);
  if (!duration.IsDefined()) return ctx.error(test, "duration", "is missing (a Go duration such as 30s)");
  auto duration_text = ctx.string(duration, "duration");
  if (!duration_text.ok()) return duration_text.status();
  auto duration_ns = parse_duration_ns(*duration_text);
  if (!duration_ns.ok()) return ctx.error(duration, "duration", duration_ns.status().message());
  if (*duration_ns <= 0) return ctx.error(duration, "duration", "must be above 0");
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
    auto client = parse_client(ctx, clients[i], i, plan.duration_ns, plan.name, plan.labels);
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
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
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
                                    " bytes, more than the limit of " + std::to_string(kMaxTestFileBytes));
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
                                    std::to_string(kMaxTestFileDepth) + " levels (an SMPS test nests 4)");
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
