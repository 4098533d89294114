// `nightjar serve` as a user meets it: the real binary, run as a child process, with its
// HTTP/2, TLS and gRPC flags.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

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
class Serve {
 public:
  explicit Serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {kBinary, "serve", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Subprocess>(args);
    const std::string line = process_->read_line();
    const std::string prefix = "listening on 127.0.0.1:";
    EXPECT_EQ(line.rfind(prefix, 0), 0u)
        << "first line: '" << line << "' stderr: " << process_->err();
    if (line.rfind(prefix, 0) == 0)
      port_ = static_cast<uint16_t>(std::stoi(line.substr(prefix.size())));
  }
  ~Serve() {
    if (!stopped_) stop();
  }
  uint16_t port() const { return port_; }
  // Standard output's lines after the first; complete once stopped.
  std::string out_after_first_line() const {
    const std::string& all = process_->all_out();
    return all.substr(std::min(all.size(), all.find('\n') + 1));
  }
  int stop() {
    stopped_ = true;
    process_->signal(SIGTERM);
    return process_->wait();
  }
  const std::string& err() const { return process_->err(); }

 private:
  std::unique_ptr<Subprocess> process_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

TEST(ServeCli, HelpDocumentsTheProtocolFlags) {
  const Outcome o = run({"serve", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* flag :
       {"--listen", "--threads", "--stall-after", "--stall-for", "--goaway-after", "--tls",
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
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
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
  for (const Case& c : cases) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Outcome o = run(args);
    EXPECT_EQ(o.code, 2) << c.says << ": " << o.err;
    EXPECT_NE(o.err.find(c.says), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "") << c.says;
  }
  std::remove(cert_file.c_str());
  std::remove(key_file.c_str());
}

}  // namespace
}  // namespace nightjar
