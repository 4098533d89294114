#include "config/smps_writer.h"

#include <yaml-cpp/binary.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

#include "common/duration.h"
#include "common/yaml_text.h"
#include "config/nightjar_section.h"
#include "http/grpc.h"

namespace nightjar::config {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Valid UTF-8 whose every character YAML may hold (its c-printable set); with `line_breaks`,
// also tabs and line breaks (yaml-cpp escapes them in a double-quoted string).
bool is_text(std::string_view s, bool line_breaks) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t code = 0;
    size_t length = 0;
    if (c < 0x80) {
      code = c;
      length = 1;
    } else if ((c & 0xE0) == 0xC0) {
      code = c & 0x1F;
      length = 2;
    } else if ((c & 0xF0) == 0xE0) {
      code = c & 0x0F;
      length = 3;
    } else if ((c & 0xF8) == 0xF0) {
      code = c & 0x07;
      length = 4;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
      return false;
    const bool printable = (code >= 0x20 && code <= 0x7E) || code == 0x85 ||
                           (code >= 0xA0 && code <= 0xD7FF) || (code >= 0xE000 && code <= 0xFFFD) ||
                           code >= 0x10000;
    const bool line_break = code == '\t' || code == '\n' || code == '\r';
    if (!printable && !(line_breaks && line_break)) return false;
    i += length;
  }
  return true;
}

std::string number(double value) {
  char buffer[64];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, value).ptr;  // shortest that reads back
  return std::string(buffer, end);
}

bool is_whole(double rps) { return rps == std::floor(rps) && rps <= load::limits::kMaxRps; }

// The SMPS fields of one client, and the nightjar options they cannot hold.
struct Client {
  std::string protocol;  // "http" or "grpc"
  int64_t connections = 0;
  int64_t rps = 0;
  Pairs headers;
  std::string body;  // text only (else section.body)
  std::string content_type;
  std::vector<std::string> urls;
  NightjarSection section;
};

// Headers as an SMPS map: repeated names joined into one header (cookies with "; "), and a
// last Content-Type as contentType (where the reader puts it back).
void split_headers(const Pairs& headers, Client& c) {
  Pairs& out = c.headers;
  for (const auto& [name, value] : headers) {
    auto same =
        std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.first == name; });
    if (same == out.end()) {
      out.emplace_back(name, value);
    } else {
      const bool cookie =
          name.size() == 6 && std::equal(name.begin(), name.end(), "cookie", [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          });
      same->second += (cookie ? "; " : ", ") + value;
    }
  }
  if (!out.empty() && out.back().first == "Content-Type" && !out.back().second.empty() &&
      (headers.empty() || headers.back().first == "Content-Type")) {
    c.content_type = out.back().second;
    out.pop_back();
  }
}

Result<Client> client_of(const load::LoadOptions& o, const std::string& path) {
  Client c;
  NightjarSection& s = c.section;
  const bool grpc = o.run.protocol == "grpc";
  c.protocol = grpc ? "grpc" : "http";
  c.connections = o.run.connections;
  if (is_whole(o.run.requested_rps)) {
    c.rps = static_cast<int64_t>(o.run.requested_rps);
  } else {
    c.rps = std::max<int64_t>(1, std::llround(o.run.requested_rps));  // what SMPS-only readers get
    s.rps = o.run.requested_rps;
  }
  split_headers(o.request.headers, c);
  for (const auto& [name, value] : c.headers) {
    if (!is_text(name, false) || !is_text(value, false)) {
      return Status::invalid_argument(path + ".headers." + name +
                                      ": not UTF-8 text; a test file cannot hold it");
    }
  }
  if (is_text(o.request.body, true)) {
    c.body = o.request.body;
  } else {
    s.body = o.request.body;  // bodyBase64
  }
  for (const http::Url& url : o.urls) c.urls.push_back(url.to_string());

  if (o.run.arrival != "uniform") s.arrival = o.run.arrival;
  if (o.run.arrival == "poisson") s.seed = static_cast<int64_t>(o.run.seed);
  s.rate_shape = o.run.rate_shape;
  if (!s.rate_shape.empty()) s.rps.reset();  // the shape gives the rate (its mean)
  if (o.run.requests != 0) s.requests = o.run.requests;
  if (o.run.warmup_ns != 0) s.warmup_ns = o.run.warmup_ns;
  if (o.run.timeout_ns != kDefaultTimeoutNs) s.timeout_ns = o.run.timeout_ns;
  if (o.run.threads != kDefaultThreads) s.threads = o.run.threads;
  if (o.run.max_pending != kDefaultMaxPending) s.max_pending = o.run.max_pending;
  if (o.run.max_concurrent_streams != 1) s.max_concurrent_streams = o.run.max_concurrent_streams;
  const std::string default_method = grpc || !o.request.body.empty() ? "POST" : "GET";
  if (!grpc && o.request.method != default_method) s.method = o.request.method;
  auto unforced = load::resolve_protocol(o.urls, "");
  if (unforced.ok() && *unforced != o.run.protocol)
    s.protocol = o.run.protocol == "http/1.1" ? "http1" : "h2";

  auto path_field = [](const std::string& value) {
    return value.empty() ? std::nullopt : std::optional(value);
  };
  s.ca_file = path_field(o.tls.ca_file);
  s.insecure = o.tls.insecure;
  s.sni = path_field(o.tls.sni);
  s.cert_file = path_field(o.tls.cert_file);
  s.key_file = path_field(o.tls.key_file);
  if (grpc) {
    if (o.run.grpc_method != http::kBuiltinPingMethod ||
        o.grpc_message != http::builtin_ping_message()) {
      s.grpc_method = o.run.grpc_method;
      if (!o.grpc_message.empty()) s.grpc_message = o.grpc_message;
    }
    s.grpc_health = o.grpc_health;
  }
  const std::pair<const char*, const std::optional<std::string>*> strings[] = {
      {"tls.caFile", &s.ca_file}, {"tls.sni", &s.sni},   {"tls.cert", &s.cert_file},
      {"tls.key", &s.key_file},   {"method", &s.method}, {"grpc.method", &s.grpc_method}};
  for (const auto& [field, value] : strings) {
    if (*value && !is_text(**value, false)) {
      return Status::invalid_argument(std::string("nightjar.") + field +
                                      ": not UTF-8 text; a test file cannot hold it");
    }
  }
  return c;
}

void emit_pairs(YAML::Emitter& out, const char* key, const Pairs& pairs) {
  if (pairs.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : pairs) {
    out << YAML::Key;
    emit_yaml_string(out, name);
    out << YAML::Value;
    emit_yaml_string(out, value);
  }
  out << YAML::EndMap;
}

void emit_client(YAML::Emitter& out, const Client& c) {
  out << YAML::BeginMap;
  out << YAML::Key << "protocol" << YAML::Value << c.protocol;
  out << YAML::Key << "connections" << YAML::Value << c.connections;
  out << YAML::Key << "rps" << YAML::Value << c.rps;
  emit_pairs(out, "headers", c.headers);
  if (!c.body.empty()) out << YAML::Key << "body" << YAML::Value << YAML::DoubleQuoted << c.body;
  if (!c.content_type.empty()) {
    out << YAML::Key << "contentType" << YAML::Value;
    emit_yaml_string(out, c.content_type);
  }
  out << YAML::Key << "endpointUrls" << YAML::Value << YAML::BeginSeq;
  for (const std::string& url : c.urls) emit_yaml_string(out, url);
  out << YAML::EndSeq;
  out << YAML::EndMap;
}

std::string base64(const std::string& bytes) {
  return YAML::EncodeBase64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// Writes the section's fields into the open map of `out`, in the order of
// nightjar_section.h; `names` receives each one's name ("nightjar.tls.caFile").
void emit_section(YAML::Emitter& out, const NightjarSection& s, std::vector<std::string>& names) {
  std::string prefix = "nightjar.";
  // A number, duration or base64: never mistaken for anything else.
  auto scalar = [&](const char* field, const std::string& value) {
    names.push_back(prefix + field);
    out << YAML::Key << field << YAML::Value << value;
  };
  auto text = [&](const char* field, const std::optional<std::string>& value) {
    if (!value) return;
    names.push_back(prefix + field);
    out << YAML::Key << field << YAML::Value;
    emit_yaml_string(out, *value);
  };
  auto flag = [&](const char* field, bool value) {
    if (!value) return;
    names.push_back(prefix + field);
    out << YAML::Key << field << YAML::Value << true;
  };
  if (s.rps) scalar("rps", number(*s.rps));
  text("arrival", s.arrival);
  if (s.seed) scalar("seed", std::to_string(*s.seed));
  if (!s.rate_shape.empty()) {
    names.push_back(prefix + "rateShape");
    out << YAML::Key << "rateShape" << YAML::Value << YAML::BeginSeq;
    for (const model::RateSegment& stage : s.rate_shape) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "duration" << YAML::Value
          << format_go_duration_ns(stage.duration_ns) << YAML::Key << "from" << YAML::Value
          << number(stage.from_rps) << YAML::Key << "to" << YAML::Value << number(stage.to_rps)
          << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (s.requests) scalar("requests", std::to_string(*s.requests));
  if (s.warmup_ns) scalar("warmup", format_go_duration_ns(*s.warmup_ns));
  if (s.timeout_ns) scalar("timeout", format_go_duration_ns(*s.timeout_ns));
  if (s.threads) scalar("threads", std::to_string(*s.threads));
  if (s.max_pending) scalar("maxPending", std::to_string(*s.max_pending));
  text("method", s.method);
  text("protocol", s.protocol);
  if (s.max_concurrent_streams)
    scalar("maxConcurrentStreams", std::to_string(*s.max_concurrent_streams));
  if (s.body) scalar("bodyBase64", base64(*s.body));
  if (s.ca_file || s.insecure || s.sni || s.cert_file || s.key_file) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    prefix = "nightjar.tls.";
    text("caFile", s.ca_file);
    flag("insecure", s.insecure);
    text("sni", s.sni);
    text("cert", s.cert_file);
    text("key", s.key_file);
    out << YAML::EndMap;
  }
  if (s.grpc_method || s.grpc_health) {
    out << YAML::Key << "grpc" << YAML::Value << YAML::BeginMap;
    prefix = "nightjar.grpc.";
    text("method", s.grpc_method);
    if (s.grpc_message) scalar("messageBase64", base64(*s.grpc_message));
    flag("health", s.grpc_health);
    out << YAML::EndMap;
  }
}

enum class Form { kNightjar, kMeshery };

// The plan's clients, checked: every string UTF-8 text, one nightjar section for all.
Result<std::vector<Client>> clients_of(const TestPlan& plan) {
  std::vector<Client> clients;
  for (size_t i = 0; i < plan.clients.size(); ++i) {
    const std::string path = "clients[" + std::to_string(i) + "]";
    auto client = client_of(plan.clients[i].options, path);
    if (!client.ok()) return client.status();
    if (i > 0 && !(client->section == clients.front().section)) {
      return Status::invalid_argument(
          path +
          ": its nightjar options differ from clients[0]'s, and a test file's "
          "nightjar: section applies to every client");
    }
    clients.push_back(std::move(*client));
  }
  if (clients.empty()) return Status::invalid_argument("clients: a test needs at least one client");
  if (!is_text(plan.name, false))
    return Status::invalid_argument("name: not UTF-8 text; a test file cannot hold it");
  for (const auto& [key, value] : plan.labels) {
    if (!is_text(key, false) || !is_text(value, false)) {
      return Status::invalid_argument("labels." + key +
                                      ": not UTF-8 text; a test file cannot hold it");
    }
  }
  return clients;
}

Result<std::string> write(const TestPlan& plan, std::vector<Client> clients, Form form,
                          std::vector<std::string>& section_fields) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!plan.name.empty()) {
    out << YAML::Key << "name" << YAML::Value;
    emit_yaml_string(out, plan.name);
  }
  emit_pairs(out, "labels", Pairs(plan.labels.begin(), plan.labels.end()));
  out << YAML::Key << "clients" << YAML::Value << YAML::BeginSeq;
  for (const Client& c : clients) emit_client(out, c);
  out << YAML::EndSeq;
  out << YAML::Key << "duration" << YAML::Value << format_go_duration_ns(plan.duration_ns);
  if (!plan.slos.empty()) {
    if (form == Form::kNightjar) {  // nightjar's own list, beside the test (docs/slo.md)
      out << YAML::Key << "slos" << YAML::Value << YAML::BeginSeq;
      for (const slo::Slo& s : plan.slos) emit_yaml_string(out, s.expr);
      out << YAML::EndSeq;
    } else {
      section_fields.push_back("slos");  // Meshery's form has no place for them
    }
  }
  const NightjarSection& section = clients.front().section;
  if (!section.empty() && form == Form::kNightjar) {
    out << YAML::Key << "nightjar" << YAML::Value << YAML::BeginMap;
    emit_section(out, section, section_fields);
    out << YAML::EndMap;
  } else if (!section.empty()) {
    YAML::Emitter left_out;  // written only to name what Meshery's form leaves out
    left_out << YAML::BeginMap;
    emit_section(left_out, section, section_fields);
  }
  out << YAML::EndMap;
  if (!out.good()) return Status::internal("writing the test file: " + out.GetLastError());
  std::string text = std::string(out.c_str()) + "\n";
  if (text.size() > kMaxTestFileBytes) {
    return Status::invalid_argument("the test file would be " + std::to_string(text.size()) +
                                    " bytes, more than a test file's limit of " +
                                    std::to_string(kMaxTestFileBytes) +
                                    " (a body that large can stay in its file: nightjar.bodyFile)");
  }
  return text;
}

}  // namespace

TestPlan plan_of(const load::LoadOptions& options) {
  TestPlan plan;
  plan.name = options.run.test_name;
  plan.labels = options.run.labels;
  plan.duration_ns = options.run.duration_ns;
  plan.clients.push_back({"client-0", options});
  return plan;
}

Result<std::string> write_smps_test(const TestPlan& plan) {
  auto clients = clients_of(plan);
  if (!clients.ok()) return clients.status();
  std::vector<std::string> fields;
  return write(plan, std::move(*clients), Form::kNightjar, fields);
}

Result<MesheryTest> write_meshery_test(const TestPlan& plan) {
  if (plan.name.empty()) return Status::invalid_argument("name: Meshery needs a test name");
  if (plan.duration_ns <= 0) {
    return Status::invalid_argument(
        "duration: Meshery needs a duration; this test is bounded by its requests alone");
  }
  auto clients = clients_of(plan);
  if (!clients.ok()) return clients.status();
  MesheryTest test;
  for (Client& c : *clients) {
    for (std::string& url : c.urls) {
      for (const auto& [from, to] :
           {std::pair{"h2c://", "http://"}, std::pair{"grpc://", "http://"},
            std::pair{"grpcs://", "https://"}}) {
        if (url.rfind(from, 0) != 0) continue;
        url = to + url.substr(std::string_view(from).size());
        if (std::string_view(from) == "h2c://") {
          const std::string note = "h2c:// (HTTP/2 with prior knowledge)";
          if (std::find(test.left_out.begin(), test.left_out.end(), note) == test.left_out.end()) {
            test.left_out.push_back(note);
          }
        }
      }
    }
  }
  auto text = write(plan, std::move(*clients), Form::kMeshery, test.left_out);
  if (!text.ok()) return text.status();
  test.text = std::move(*text);
  return test;
}

}  // namespace nightjar::config
