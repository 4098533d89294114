// The command line's flag definitions and option builders, without starting a process:
// argv is parsed by CLI11 through the same add_*_flags the binary uses, and the options
// built from it (LoadOptions, ControllerOptions, ServerOptions, WorkerServerOptions) are
// checked, with their defaults and the messages that name a bad flag.
#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "cli/load_flags.h"
#include "cli/serve_flags.h"
#include "cli/worker_flags.h"
#include "common/duration.h"
#include "http/grpc.h"
#include "support/data_files.h"

namespace nightjar::cli {
namespace {

// Parses `args` (what follows the command's name) into whatever `add` bound to the app.
// CLI11's errors come back as their message, "" when the parse succeeded.
template <typename Flags, typename Add>
std::string parse(const std::vector<std::string>& args, Flags& flags, Add add, CLI::App& app) {
  add(app, flags);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

Result<load::LoadOptions> load_options(const std::vector<std::string>& args) {
  CLI::App app;
  LoadFlags flags;
  const std::string error = parse(
      args, flags, [](CLI::App& a, LoadFlags& f) { add_load_flags(a, f, true); }, app);
  EXPECT_EQ(error, "") << "parsing " << ::testing::PrintToString(args);
  return build_load_options(flags);
}

// The message of a build that must fail.
std::string load_error(const std::vector<std::string>& args) {
  auto options = load_options(args);
  EXPECT_FALSE(options.ok()) << ::testing::PrintToString(args);
  return options.ok() ? "" : options.status().message();
}

Result<distributed::ControllerOptions> controller(const std::vector<std::string>& args) {
  CLI::App app;
  ControllerFlags flags;
  EXPECT_EQ(parse(args, flags, add_controller_flags, app), "") << ::testing::PrintToString(args);
  return controller_options(flags);
}

Result<server::ServerOptions> serve_options(const std::vector<std::string>& args) {
  CLI::App app;
  ServeFlags flags;
  EXPECT_EQ(parse(args, flags, add_serve_flags, app), "") << ::testing::PrintToString(args);
  return build_serve_options(flags);
}

Result<distributed::WorkerServerOptions> worker_options(const std::vector<std::string>& args) {
  CLI::App app;
  WorkerFlags flags;
  EXPECT_EQ(parse(args, flags, add_worker_flags, app), "") << ::testing::PrintToString(args);
  return build_worker_options(flags);
}

using testing::temp_file;
using testing::tls_file;

const std::string kUrl = "http://127.0.0.1:8080/";

TEST(LoadFlags, DefaultsAreTheDocumentedOnes) {
  auto o = load_options({kUrl});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->run.urls, std::vector<std::string>{kUrl});
  EXPECT_EQ(o->run.requested_rps, 0);
  EXPECT_EQ(o->run.duration_ns, 10 * kNanosPerSecond);
  EXPECT_EQ(o->run.requests, 0);
  EXPECT_EQ(o->run.connections, 10);
  EXPECT_EQ(o->run.threads, 1);
  EXPECT_EQ(o->run.warmup_ns, 0);
  EXPECT_EQ(o->run.timeout_ns, 10 * kNanosPerSecond);
  EXPECT_EQ(o->run.max_pending, 10000);
  EXPECT_EQ(o->request.method, "GET");
  EXPECT_TRUE(o->request.headers.empty());
  EXPECT_EQ(o->request.body, "");
  EXPECT_EQ(o->run.protocol, "http/1.1");
  EXPECT_EQ(o->run.max_concurrent_streams, 1);
  EXPECT_FALSE(o->run.tls);
  EXPECT_EQ(o->run.test_name, "");
  EXPECT_TRUE(o->run.labels.empty());
}

TEST(LoadFlags, ShortAndLongFlagsReachTheOptions) {
  auto o = load_options({kUrl,
                         "http://127.0.0.1:8080/b",
                         "--rps",
                         "250",
                         "-d",
                         "1m30s",
                         "-c",
                         "4",
                         "-t",
                         "2",
                         "--warmup",
                         "1s",
                         "--timeout",
                         "2s",
                         "--max-pending",
                         "5",
                         "-m",
                         "POST",
                         "-H",
                         "X-A: b",
                         "--header",
                         "X-C: d",
                         "--body",
                         "hi",
                         "--content-type",
                         "text/plain",
                         "--name",
                         "checkout",
                         "--label",
                         "mesh=istio",
                         "--label",
                         "zone=a=b"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->run.urls.size(), 2u);
  EXPECT_EQ(o->urls.size(), 2u);
  EXPECT_DOUBLE_EQ(o->run.requested_rps, 250);
  EXPECT_EQ(o->run.duration_ns, 90 * kNanosPerSecond);
  EXPECT_EQ(o->run.connections, 4);
  EXPECT_EQ(o->run.threads, 2);
  EXPECT_EQ(o->run.warmup_ns, kNanosPerSecond);
  EXPECT_EQ(o->run.timeout_ns, 2 * kNanosPerSecond);
  EXPECT_EQ(o->run.max_pending, 5);
  EXPECT_EQ(o->request.method, "POST");
  EXPECT_EQ(o->run.method, "POST");
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-A", "b"}, {"X-C", "d"}, {"Content-Type", "text/plain"}};
  EXPECT_EQ(o->request.headers, headers);
  EXPECT_EQ(o->run.headers, headers);
  EXPECT_EQ(o->request.body, "hi");
  EXPECT_EQ(o->run.body_bytes, 2);
  EXPECT_EQ(o->run.test_name, "checkout");
  const std::map<std::string, std::string> labels = {{"mesh", "istio"}, {"zone", "a=b"}};
  EXPECT_EQ(o->run.labels, labels);
}

TEST(LoadFlags, ARequestCountWithoutADurationBoundsTheRunByCountOnly) {
  auto count_only = load_options({kUrl, "-n", "100"});
  ASSERT_TRUE(count_only.ok()) << count_only.status().message();
  EXPECT_EQ(count_only->run.requests, 100);
  EXPECT_EQ(count_only->run.duration_ns, 0);
  auto both = load_options({kUrl, "-n", "100", "--duration", "2s"});
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->run.requests, 100);
  EXPECT_EQ(both->run.duration_ns, 2 * kNanosPerSecond);
}

TEST(LoadFlags, TheBodyIsReadFromBodyFile) {
  const std::string path = temp_file("body", std::string("a\0b", 3));
  auto o = load_options({kUrl, "--body-file", path});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->request.body, std::string("a\0b", 3));
  EXPECT_EQ(o->run.body_bytes, 3);
  std::remove(path.c_str());
}

TEST(LoadFlags, ProtocolFlagsChooseHttp2AndItsStreams) {
  auto h2c = load_options({kUrl, "--protocol", "h2", "--max-concurrent-streams", "8"});
  ASSERT_TRUE(h2c.ok()) << h2c.status().message();
  EXPECT_EQ(h2c->run.protocol, "h2c");
  EXPECT_EQ(h2c->run.max_concurrent_streams, 8);
  // HTTP/1.1 sends one request at a time whatever the flag says (it is still validated).
  auto http1 = load_options({kUrl, "--max-concurrent-streams", "8"});
  ASSERT_TRUE(http1.ok()) << http1.status().message();
  EXPECT_EQ(http1->run.max_concurrent_streams, 1);
}

TEST(LoadFlags, HttpsTakesTheTlsFlags) {
  auto o = load_options({"https://localhost:8443/", "--ca-file", tls_file("ca.pem"), "--sni",
                         "example.test", "--cert", tls_file("client.pem"), "--key",
                         tls_file("client.key")});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(o->run.tls);
  EXPECT_EQ(o->tls.ca_file, tls_file("ca.pem"));
  EXPECT_EQ(o->tls.sni, "example.test");
  EXPECT_EQ(o->tls.cert_file, tls_file("client.pem"));
  EXPECT_EQ(o->tls.key_file, tls_file("client.key"));
  EXPECT_FALSE(o->tls.insecure);
}

TEST(LoadFlags, GrpcUrlsCallTheBuiltInPingByDefault) {
  auto o = load_options({"grpc://127.0.0.1:9090"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->run.protocol, "grpc");
  EXPECT_EQ(o->request.method, "POST");
  EXPECT_EQ(o->run.grpc_method, std::string(http::kBuiltinPingMethod));
  EXPECT_EQ(o->grpc_message, http::builtin_ping_message());
  EXPECT_EQ(o->run.body_bytes, static_cast<int64_t>(o->grpc_message.size()));

  const std::string message = temp_file("grpc", "\x0a\x02hi");
  auto custom = load_options({"grpc://127.0.0.1:9090", "--grpc-method", "/pkg.Svc/Call",
                              "--grpc-data-file", message, "--grpc-health"});
  ASSERT_TRUE(custom.ok()) << custom.status().message();
  EXPECT_EQ(custom->run.grpc_method, "/pkg.Svc/Call");
  EXPECT_EQ(custom->grpc_message, "\x0a\x02hi");
  EXPECT_TRUE(custom->grpc_health);
  std::remove(message.c_str());
}

TEST(LoadFlags, BadValuesGetAMessageNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{kUrl, "--duration", "1x"}, "--duration: "},
      {{kUrl, "--warmup", "soon"}, "--warmup: "},
      {{kUrl, "--timeout", "-"}, "--timeout: "},
      {{kUrl, "-H", "no colon"}, "-H: "},
      {{kUrl, "--body", "a", "--body-file", "/nonexistent/body"},
       "--body and --body-file cannot be used together"},
      {{kUrl, "--body-file", "/nonexistent/body"}, "--body-file: cannot read '/nonexistent/body'"},
      {{kUrl, "--label", "novalue"}, "--label 'novalue' needs the form key=value"},
      {{kUrl, "--label", "=x"}, "--label '=x' needs the form key=value"},
      {{kUrl, "--insecure"},
       "--ca-file, --insecure, --sni, --cert and --key apply to https:// and grpcs:// URLs"},
      {{"https://localhost/", "--insecure", "--ca-file", tls_file("ca.pem")},
       "--insecure and --ca-file cannot be used together"},
      {{kUrl, "--grpc-health"},
       "--grpc-method, --grpc-data-file and --grpc-health apply to grpc:// and grpcs:// URLs"},
      {{"grpc://127.0.0.1:9090", "--body", "x"}, "not --body"},
      {{"grpc://127.0.0.1:9090", "-m", "PUT"}, "--method does not apply to gRPC"},
      {{"grpc://127.0.0.1:9090", "--grpc-data-file", "/x"}, "--grpc-data-file needs --grpc-method"},
      {{"grpc://127.0.0.1:9090/svc"}, "gRPC URLs name no path"},
  };
  for (const Case& c : cases) {
    EXPECT_NE(load_error(c.args).find(c.says), std::string::npos)
        << ::testing::PrintToString(c.args) << " gave: " << load_error(c.args);
  }
}

TEST(LoadFlags, CliElevenNamesTheFlagOfAValueOfTheWrongType) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{kUrl, "-c", "many"},
                                               {kUrl, "--rps", "fast"},
                                               {kUrl, "--requests", "1.5"}}) {
    CLI::App app;
    LoadFlags flags;
    const std::string error = parse(
        args, flags, [](CLI::App& a, LoadFlags& f) { add_load_flags(a, f, true); }, app);
    EXPECT_NE(error.find(args[1] == "-c" ? "--connections" : args[1]), std::string::npos) << error;
  }
  CLI::App app;
  LoadFlags flags;
  EXPECT_EQ(parse(
                {}, flags, [](CLI::App& a, LoadFlags& f) { add_load_flags(a, f, true); }, app),
            "url is required");
}

TEST(ControllerFlags, NoWorkersIsALocalRunWithTheDefaultLease) {
  auto c = controller({});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->workers.empty());
  EXPECT_EQ(c->lease_ns, 5 * kNanosPerSecond);
  EXPECT_FALSE(c->tls);
  EXPECT_EQ(c->token, "");
}

TEST(ControllerFlags, WorkersTokenAndMutualTlsAreRead) {
  const std::string token = temp_file("token", "s3cret \r\n");
  auto c =
      controller({"--workers", "10.0.0.1:7070,dns:workers:7070", "--min-workers", "1", "--lease",
                  "2s", "--worker-token-file", token, "--worker-ca", tls_file("ca.pem"),
                  "--worker-cert", tls_file("client.pem"), "--worker-key", tls_file("client.key")});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->workers, (std::vector<std::string>{"10.0.0.1:7070", "dns:workers:7070"}));
  EXPECT_EQ(c->min_workers, 1);
  EXPECT_EQ(c->lease_ns, 2 * kNanosPerSecond);
  EXPECT_EQ(c->token, "s3cret");
  EXPECT_TRUE(c->tls);
  EXPECT_NE(c->ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(c->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(c->key_pem.find("PRIVATE KEY"), std::string::npos);
  std::remove(token.c_str());
}

TEST(ControllerFlags, BadValuesGetAMessageNamingTheFlag) {
  const std::string empty = temp_file("empty-token", "\n");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--lease", "forever"}, "--lease: "},
      {{"--workers", "a:1", "--lease", "50ms"}, "--lease must be at least 100ms"},
      {{"--workers", "a:1", "--worker-token-file", empty},
       "--worker-token-file: '" + empty + "' is empty"},
      {{"--workers", "a:1", "--worker-token-file", "/nonexistent/t"},
       "--worker-token-file: cannot read"},
      {{"--workers", "a:1", "--worker-ca", "/nonexistent/ca"}, "--worker-ca: cannot read"},
      {{"--workers", "a:1", "--worker-cert", tls_file("client.pem")},
       "--worker-cert and --worker-key go together"},
      {{"--min-workers", "2"}, "worker options need --workers"},
      {{"--worker-ca", tls_file("ca.pem")}, "worker options need --workers"},
  };
  for (const Case& c : cases) {
    auto built = controller(c.args);
    ASSERT_FALSE(built.ok()) << ::testing::PrintToString(c.args);
    EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(built.status().message().find(c.says), std::string::npos) << built.status().message();
  }
  std::remove(empty.c_str());
}

TEST(ServeFlags, DefaultsAreTheServersDefaults) {
  auto o = serve_options({});
  ASSERT_TRUE(o.ok()) << o.status().message();
  const server::ServerOptions defaults;
  EXPECT_EQ(o->listen, "127.0.0.1:8080");
  EXPECT_EQ(o->threads, 1);
  EXPECT_LT(o->stall_after_ns, 0);
  EXPECT_EQ(o->goaway_after_requests, 0);
  EXPECT_FALSE(o->tls.has_value());
  EXPECT_EQ(o->header_timeout_ns, defaults.header_timeout_ns);
  EXPECT_EQ(o->idle_timeout_ns, defaults.idle_timeout_ns);
  EXPECT_EQ(o->tls_handshake_timeout_ns, defaults.tls_handshake_timeout_ns);
  EXPECT_EQ(o->max_connections, defaults.max_connections);
  EXPECT_EQ(o->max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(o->max_header_bytes, defaults.max_header_bytes);
  EXPECT_EQ(o->max_header_fields, defaults.max_header_fields);
}

TEST(ServeFlags, FlagsReachTheServerOptions) {
  auto o = serve_options({"--listen",
                          "127.0.0.1:0",
                          "--threads",
                          "3",
                          "--stall-after",
                          "2s",
                          "--stall-for",
                          "500ms",
                          "--goaway-after",
                          "7",
                          "--capacity",
                          "400",
                          "--header-timeout",
                          "1s",
                          "--idle-timeout",
                          "2m",
                          "--tls-handshake-timeout",
                          "3s",
                          "--max-connections",
                          "50",
                          "--max-body-bytes",
                          "64k",
                          "--max-header-bytes",
                          "1m",
                          "--max-headers",
                          "10"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->listen, "127.0.0.1:0");
  EXPECT_EQ(o->threads, 3);
  EXPECT_EQ(o->stall_after_ns, 2 * kNanosPerSecond);
  EXPECT_EQ(o->stall_for_ns, 500 * kNanosPerMilli);
  EXPECT_EQ(o->goaway_after_requests, 7);
  EXPECT_EQ(o->capacity_rps, 400);
  EXPECT_EQ(o->header_timeout_ns, kNanosPerSecond);
  EXPECT_EQ(o->idle_timeout_ns, 120 * kNanosPerSecond);
  EXPECT_EQ(o->tls_handshake_timeout_ns, 3 * kNanosPerSecond);
  EXPECT_EQ(o->max_connections, 50);
  EXPECT_EQ(o->max_body_bytes, 64u * 1024);
  EXPECT_EQ(o->max_header_bytes, 1024u * 1024);
  EXPECT_EQ(o->max_header_fields, 10u);
}

TEST(ServeFlags, TlsFlagsReadTheCertificateAndTheAlpnList) {
  auto generated = serve_options({"--tls", "--alpn", "http/1.1, h2"});
  ASSERT_TRUE(generated.ok()) << generated.status().message();
  ASSERT_TRUE(generated->tls.has_value());
  EXPECT_EQ(generated->tls->cert_pem, "");  // made at start
  EXPECT_EQ(generated->tls->alpn, (std::vector<std::string>{"http/1.1", "h2"}));

  auto given = serve_options({"--tls-cert", tls_file("worker.pem"), "--tls-key",
                              tls_file("worker.key"), "--tls-client-ca", tls_file("ca.pem")});
  ASSERT_TRUE(given.ok()) << given.status().message();
  ASSERT_TRUE(given->tls.has_value());
  EXPECT_NE(given->tls->cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(given->tls->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(given->tls->client_ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(given->tls->cert_name, "--tls-cert");
}

TEST(ServeFlags, BadValuesGetAMessageNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--threads", "0"}, "--threads must be at least 1"},
      {{"--goaway-after", "-1"}, "--goaway-after must not be negative (0: never)"},
      {{"--stall-after", "x"}, "--stall-after: "},
      {{"--capacity", "-1"}, "--capacity must be from 1 to 10000000"},
      {{"--capacity", "10000001"}, "--capacity must be from 1 to 10000000"},
      {{"--stall-after", "1s", "--stall-for", "x"}, "--stall-for: "},
      {{"--tls", "--tls-cert", tls_file("worker.pem"), "--tls-key", tls_file("worker.key")},
       "--tls generates a certificate"},
      {{"--tls-cert", tls_file("worker.pem")}, "--tls-cert needs --tls-key"},
      {{"--tls-key", tls_file("worker.key")}, "--tls-key needs --tls-cert"},
      {{"--tls-cert", "/nonexistent/x.pem", "--tls-key", tls_file("worker.key")},
       "--tls-cert: cannot read '/nonexistent/x.pem': No such file or directory"},
      {{"--tls", "--alpn", "h2,h3"}, "--alpn: unknown protocol 'h3' (use h2, http/1.1 or both)"},
      {{"--alpn", "h2"}, "--alpn needs --tls or --tls-cert"},
      {{"--tls-client-ca", tls_file("ca.pem")}, "--tls-client-ca needs --tls or --tls-cert"},
      {{"--tls-cert-out", "/tmp/x.pem"}, "--tls-cert-out needs --tls or --tls-cert"},
      {{"--header-timeout", "0"}, "--header-timeout must be more than 0 and at most 24h, not '0'"},
      {{"--idle-timeout", "25h"}, "--idle-timeout must be more than 0 and at most 24h"},
      {{"--tls-handshake-timeout", "soon"}, "--tls-handshake-timeout: "},
      {{"--max-connections", "0"}, "--max-connections must be at least 1"},
      {{"--max-body-bytes", "0"}, "--max-body-bytes must be at least 1"},
      {{"--max-body-bytes", "12x"},
       "--max-body-bytes: expected a byte count such as 65536, 64k or 16m, not '12x'"},
      {{"--max-body-bytes", "999999999999999g"},
       "--max-body-bytes: '999999999999999g' is too large"},
      {{"--max-header-bytes", "100"}, "--max-header-bytes must be from 1k to 1m, not '100'"},
      {{"--max-headers", "10001"}, "--max-headers must be from 1 to 10000"},
  };
  for (const Case& c : cases) {
    auto built = serve_options(c.args);
    ASSERT_FALSE(built.ok()) << ::testing::PrintToString(c.args);
    EXPECT_EQ(built.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(built.status().message().find(c.says), std::string::npos) << built.status().message();
  }
}

TEST(WorkerFlags, DefaultsListenOnLoopbackWithoutProtection) {
  auto o = worker_options({});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->listen, "127.0.0.1:7070");
  EXPECT_EQ(o->token, "");
  EXPECT_EQ(o->tls_cert_pem, "");
  EXPECT_TRUE(o->allow_targets.empty());
  EXPECT_FALSE(o->allow_plaintext_token);
}

TEST(WorkerFlags, TokenCertificatesAndAllowlistAreRead) {
  const std::string token = temp_file("worker-token", "abc\n");
  auto o = worker_options({"--listen", "0.0.0.0:0", "--token-file", token, "--tls-cert",
                           tls_file("worker.pem"), "--tls-key", tls_file("worker.key"),
                           "--client-ca", tls_file("ca.pem"), "--allow-target", "10.0.0.0/8",
                           "--allow-target", "svc.local", "--allow-plaintext-token"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->listen, "0.0.0.0:0");
  EXPECT_EQ(o->token, "abc");
  EXPECT_NE(o->tls_cert_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(o->tls_key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(o->client_ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(o->allow_targets, (std::vector<std::string>{"10.0.0.0/8", "svc.local"}));
  EXPECT_TRUE(o->allow_plaintext_token);
  std::remove(token.c_str());
}

TEST(WorkerFlags, UnreadableFilesGetAMessageNamingTheFlag) {
  for (const char* flag : {"--token-file", "--tls-cert", "--tls-key", "--client-ca"}) {
    auto o = worker_options({flag, "/nonexistent/file"});
    ASSERT_FALSE(o.ok()) << flag;
    EXPECT_EQ(o.status().message(),
              std::string(flag) + ": cannot read '/nonexistent/file': No such file or directory");
  }
}

}  // namespace
}  // namespace nightjar::cli
