// `nightjar serve` as a user meets it: the real binary, run as a child process, with its
// HTTP/2, TLS and gRPC flags.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/h2_test_client.h"
#include "support/cli.h"
#include "support/subprocess.h"
#include "tls/cert_gen.h"

namespace nightjar {
namespace {

using testing::H2Client;
using testing::Subprocess;
using testing::TestConnection;
using testing::TlsClientConfig;

const std::string kBinary = NIGHTJAR_BINARY;

using testing::Outcome;

Outcome run(std::vector<std::string> args) { return testing::run_nightjar(std::move(args)); }

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/nightjar_serve_cli_" + name;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `nightjar serve` child on a free port; stop() sends SIGTERM and collects the exit.
class Serve : public testing::ListeningChild {
 public:
  explicit Serve(const std::vector<std::string>& extra = {}) : ListeningChild("serve", extra) {}
};

TEST(ServeCli, HelpDocumentsTheProtocolFlags) {
  const Outcome o = run({"serve", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* flag :
       {"--listen", "--threads", "--stall-after", "--stall-for", "--goaway-after", "--capacity", "--tls",
        "--tls-cert", "--tls-key", "--tls-cert-out", "--tls-client-ca", "--alpn"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
}

TEST(ServeCli, ServesHttp11AndH2cOnOnePortAndReportsAtStop) {
  Serve serve;
  ASSERT_NE(serve.port(), 0);
  TestConnection http1(serve.port());
  EXPECT_EQ(http1.http1_get("/?size=2").rfind("HTTP/1.1 200 OK", 0), 0u);
  TestConnection http2(serve.port());
  H2Client client(http2);
  EXPECT_EQ(client.get("/?status=201").status, 201);
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_NE(
      serve.err().find(
          "nightjar serve: stopped after 2 requests on 2 connections (1 HTTP/2, 0 gRPC, 0 bad)"),
      std::string::npos)
      << serve.err();
}

TEST(ServeCli, SelfSignedTlsPrintsTheFingerprintAndWritesTheCertificate) {
  const std::string cert_out = temp_path("cert.pem");
  std::remove(cert_out.c_str());
  Serve serve({"--tls", "--tls-cert-out", cert_out});
  ASSERT_NE(serve.port(), 0);
  const std::string pem = read_file(cert_out);  // complete once "listening on" is out
  const Result<std::string> fingerprint = tls::certificate_fingerprint_sha256(pem);
  ASSERT_TRUE(fingerprint.ok()) << fingerprint.status().message();

  TlsClientConfig config;
  config.ca_pem = pem;  // the written file is all a client needs to trust the server
  config.alpn = {"h2", "http/1.1"};
  TestConnection connection(serve.port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  EXPECT_EQ(connection.alpn(), "h2");
  H2Client client(connection);
  EXPECT_EQ(client.get("/?size=3").body.size(), 3u);
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_EQ(serve.out_after_first_line(),
            "tls: self-signed certificate, SHA-256 fingerprint " + *fingerprint + "\n");
  EXPECT_NE(serve.err().find("1 TLS handshakes, 0 resumed, 0 failed"), std::string::npos)
      << serve.err();
  std::remove(cert_out.c_str());
}

TEST(ServeCli, ServesAGivenCertificateAndRequiresClientCertificates) {
  tls::CertSpec ca_spec;
  ca_spec.is_ca = true;
  const tls::KeyAndCert ca = *tls::generate_certificate(ca_spec);
  const tls::KeyAndCert server_cert = *tls::generate_certificate({}, &ca);
  const tls::KeyAndCert client_cert = *tls::generate_certificate({}, &ca);
  const std::string ca_file = temp_path("ca.pem");
  const std::string cert_file = temp_path("server.pem");
  const std::string key_file = temp_path("server.key");
  write_file(ca_file, ca.cert_pem);
  write_file(cert_file, server_cert.cert_pem);
  write_file(key_file, server_cert.key_pem);

  Serve serve({"--tls-cert", cert_file, "--tls-key", key_file, "--tls-client-ca", ca_file, "--alpn",
               "http/1.1"});
  ASSERT_NE(serve.port(), 0);
  TlsClientConfig config;
  config.ca_pem = ca.cert_pem;
  config.alpn = {"h2", "http/1.1"};
  config.cert_pem = client_cert.cert_pem;
  config.key_pem = client_cert.key_pem;
  TestConnection connection(serve.port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  EXPECT_EQ(connection.alpn(), "http/1.1");  // --alpn http/1.1
  EXPECT_EQ(connection.http1_get("/?size=1").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_EQ(serve.out_after_first_line(),
            "tls: certificate " + cert_file + ", SHA-256 fingerprint " +
                *tls::certificate_fingerprint_sha256(server_cert.cert_pem) + "\n");
  for (const std::string& file : {ca_file, cert_file, key_file}) std::remove(file.c_str());
}

TEST(ServeCli, GoawayAfterEndsEachHttp2ConnectionAfterNRequests) {
  Serve serve({"--goaway-after", "2"});
  ASSERT_NE(serve.port(), 0);
  TestConnection connection(serve.port());
  H2Client client(connection);
  EXPECT_EQ(client.get("/").status, 200);
  EXPECT_EQ(client.get("/").status, 200);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(client.goaway_received());
}

TEST(ServeCli, BadFlagsGetAClearMessageAndExitCodeTwo) {
  const tls::KeyAndCert one = *tls::generate_certificate({});
  const tls::KeyAndCert other = *tls::generate_certificate({});
  const std::string cert_file = temp_path("one.pem");
  const std::string key_file = temp_path("other.key");
  write_file(cert_file, one.cert_pem);
  write_file(key_file, other.key_pem);
  const std::vector<testing::UsageCase> cases = {
      {{"--tls-cert", cert_file}, "--tls-cert needs --tls-key"},
      {{"--tls-key", key_file}, "--tls-key needs --tls-cert"},
      {{"--tls-cert", "/nonexistent/x.pem", "--tls-key", key_file},
       "--tls-cert: cannot read '/nonexistent/x.pem': No such file or directory"},
      {{"--tls-cert", cert_file, "--tls-key", key_file}, "--tls-key does not match --tls-cert"},
      {{"--tls", "--tls-cert", cert_file, "--tls-key", key_file}, "--tls generates a certificate"},
      {{"--tls", "--alpn", "h2,h3"}, "--alpn: unknown protocol 'h3'"},
      {{"--alpn", "h2"}, "--alpn needs --tls or --tls-cert"},
      {{"--tls-client-ca", cert_file}, "--tls-client-ca needs --tls or --tls-cert"},
      {{"--tls-cert-out", "/tmp/x.pem"}, "--tls-cert-out needs --tls or --tls-cert"},
      {{"--tls", "--tls-client-ca", key_file}, "--tls-client-ca: no valid PEM certificate"},
      {{"--goaway-after", "-1"}, "--goaway-after must not be negative"},
      {{"--goaway-after", "many"}, "--goaway-after"},
  };
  testing::expect_usage_errors({"serve", "--listen", "127.0.0.1:0"}, cases);
  std::remove(cert_file.c_str());
  std::remove(key_file.c_str());
}

TEST(ServeCli, HelpDocumentsTheLimitFlagsWithTheirDefaults) {
  const Outcome o = run({"serve", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* flag : {"--header-timeout", "--idle-timeout", "--tls-handshake-timeout",
                           "--max-connections", "--max-body-bytes", "--max-header-bytes",
                           "--max-headers"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
  for (const char* fallback : {"10s", "60s", "10000", "16m", "16k", "100"}) {
    EXPECT_NE(o.out.find(fallback), std::string::npos) << fallback;
  }
}

TEST(ServeCli, BadLimitFlagsGetAMessageNamingTheFlagAndExitCodeTwo) {
  const std::vector<testing::UsageCase> cases = {
      {{"--header-timeout", "0"}, "--header-timeout must be more than 0"},
      {{"--header-timeout", "soon"}, "--header-timeout: "},
      {{"--idle-timeout", "-1s"}, "--idle-timeout"},
      {{"--idle-timeout", "25h"}, "--idle-timeout must be more than 0 and at most 24h"},
      {{"--tls-handshake-timeout", "0s"}, "--tls-handshake-timeout must be more than 0"},
      {{"--max-connections", "0"}, "--max-connections must be at least 1"},
      {{"--max-connections", "lots"}, "--max-connections"},
      {{"--max-body-bytes", "0"}, "--max-body-bytes must be at least 1"},
      {{"--max-body-bytes", "12x"}, "--max-body-bytes: expected a byte count"},
      {{"--max-body-bytes", "999999999999999g"}, "--max-body-bytes: '999999999999999g' is too large"},
      {{"--max-header-bytes", "100"}, "--max-header-bytes must be from 1k to 1m"},
      {{"--max-header-bytes", "2m"}, "--max-header-bytes must be from 1k to 1m"},
      {{"--max-headers", "0"}, "--max-headers must be from 1 to 10000"},
  };
  testing::expect_usage_errors({"serve", "--listen", "127.0.0.1:0"}, cases);
}

TEST(ServeCli, StopSummaryCountsConnectionsClosedByTheLimits) {
  Serve serve({"--header-timeout", "200ms", "--max-connections", "1", "--max-body-bytes", "1k"});
  ASSERT_NE(serve.port(), 0);
  {
    TestConnection held(serve.port());      // takes the one place, then sends nothing
    TestConnection rejected(serve.port());  // accepted after it (the queue is in order)
    EXPECT_TRUE(rejected.wait_for_close());
    EXPECT_TRUE(held.wait_for_close());  // at the header timeout
  }
  TestConnection upload(serve.port());
  const std::string response =
      upload.http1_exchange("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2048\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 413 ", 0), 0u) << response;
  EXPECT_EQ(serve.stop(), 0);
  EXPECT_NE(serve.err().find("nightjar serve: closed 1 connections over --max-connections, 1 at "
                             "--header-timeout, 0 at --idle-timeout; refused 1 request bodies over "
                             "--max-body-bytes, 0 headers over --max-header-bytes or --max-headers; "
                             "0 accept back-offs"),
            std::string::npos)
      << serve.err();
}

// True when every descriptor number below `limit` is taken in process `pid`: the next
// accept fails with EMFILE. (Counting is not enough: a process may hold inherited
// descriptors above its limit.)
bool descriptors_exhausted(const std::string& pid, int limit) {
  for (int fd = 0; fd < limit; ++fd) {
    std::error_code ec;
    if (!std::filesystem::is_symlink("/proc/" + pid + "/fd/" + std::to_string(fd), ec)) return false;
  }
  return true;
}

// Out of descriptors, accept fails with EMFILE: the server must wait before trying again
// (not spin on the listener, which stays readable), keep serving, and recover.
TEST(ServeCli, OutOfDescriptorsTheServerBacksOffAndRecovers) {
#if defined(NIGHTJAR_ASAN) || defined(NIGHTJAR_TSAN)
  // The sanitizers' runtime needs descriptors of its own: UBSan's vptr check probes memory
  // through a pipe, and with none left it reports the server's valid objects as invalid.
  GTEST_SKIP() << "out of descriptors, a sanitizer reports its own failure";
#endif
  constexpr int kDescriptors = 32;
  const auto start = std::chrono::steady_clock::now();
  Subprocess process({"/bin/sh", "-c",
                      "echo $$; ulimit -n " + std::to_string(kDescriptors) + " && exec " + kBinary +
                          " serve --listen 127.0.0.1:0"});
  const std::string pid = process.read_line();
  const std::string listening = process.read_line();
  const std::string prefix = "listening on 127.0.0.1:";
  ASSERT_EQ(listening.rfind(prefix, 0), 0u) << listening << process.err();
  const auto port = static_cast<uint16_t>(std::stoi(listening.substr(prefix.size())));

  std::vector<std::unique_ptr<TestConnection>> clients;
  for (int i = 0; i < kDescriptors + 8; ++i) {
    clients.push_back(std::make_unique<TestConnection>(port));  // the listen queue takes them
    ASSERT_TRUE(clients.back()->ok()) << clients.back()->error();
  }
  // The server takes connections until no descriptor is left.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!descriptors_exhausted(pid, kDescriptors) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(descriptors_exhausted(pid, kDescriptors));
  // Still serving the connections it has.
  EXPECT_EQ(clients.front()->http1_get("/?size=1").rfind("HTTP/1.1 200 OK", 0), 0u);
  clients.clear();
  TestConnection fresh(port);  // once descriptors are free again, a new one is served
  EXPECT_EQ(fresh.http1_get("/?size=1").rfind("HTTP/1.1 200 OK", 0), 0u);

  process.signal(SIGTERM);
  EXPECT_EQ(process.wait(), 0);
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
  EXPECT_NE(process.err().find("file descriptors, the limit is 32 (ulimit -n)"), std::string::npos)
      << process.err();
  const std::string err = process.err();
  const size_t at = err.find(" accept back-offs");
  ASSERT_NE(at, std::string::npos) << err;
  const size_t digits = err.find_last_not_of("0123456789", at - 1) + 1;
  const long backoffs = std::stol(err.substr(digits, at - digits));
  EXPECT_GE(backoffs, 1);
  // Each back-off waits 50 ms: a server that spun would count far more.
  EXPECT_LE(backoffs, elapsed_ms / 50 + 2) << err;
}

}  // namespace
}  // namespace nightjar
