#include "cli/worker_flags.h"

#include <tuple>

#include "cli/files.h"

namespace nightjar::cli {

void add_worker_flags(CLI::App& worker, WorkerFlags& f) {
  worker
      .add_option(
          "--listen", f.listen,
          "Address to listen on; beyond loopback only with mutual TLS, or TLS and --token-file")
      ->capture_default_str();
  worker.add_option("--token-file", f.token_file, "Require this bearer token (file content)");
  worker.add_option("--tls-cert", f.tls_cert, "Serve TLS with this certificate (PEM)");
  worker.add_option("--tls-key", f.tls_key, "Key of --tls-cert");
  worker.add_option("--client-ca", f.client_ca, "Require client certificates signed by this CA");
  worker.add_option("--allow-target", f.allow_targets,
                    "Only send load to these hosts or CIDRs (repeatable; default: any)");
  worker.add_flag(
      "--allow-plaintext-token", f.allow_plaintext_token,
      "Beyond loopback, accept --token-file without TLS (the token then travels in clear)");
}

Result<distributed::WorkerServerOptions> build_worker_options(const WorkerFlags& f) {
  distributed::WorkerServerOptions options;
  options.listen = f.listen;
  options.allow_targets = f.allow_targets;
  options.allow_plaintext_token = f.allow_plaintext_token;
  if (!f.token_file.empty()) {
    auto token = read_secret("--token-file", f.token_file);
    if (!token.ok()) return token.status();
    options.token = *token;
  }
  for (const auto& [flag, path, into] :
       {std::tuple{"--tls-cert", &f.tls_cert, &options.tls_cert_pem},
        std::tuple{"--tls-key", &f.tls_key, &options.tls_key_pem},
        std::tuple{"--client-ca", &f.client_ca, &options.client_ca_pem}}) {
    if (Status s = read_flag_file(flag, *path, *into); !s.ok()) return s;
  }
  return options;
}

}  // namespace nightjar::cli
