#include "cli/certs_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "common/status.h"
#include "tls/cert_gen.h"

namespace nightjar::cli {
namespace {

struct OutputFile {
  const char* name;
  const std::string* text;
  mode_t mode;  // keys 0600: only their owner reads them
};

// Writes `text` to `path` with `mode`. Without `replace` the file must not exist (O_EXCL);
// a symbolic link is never followed, so the key cannot be written somewhere else.
Status write_file(const std::string& path, const std::string& text, mode_t mode, bool replace) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (replace ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return Status::io_error("cannot write '" + path + "': " + std::strerror(errno));
  // A file that existed (--force) keeps its old mode through open(): set it.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  const int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return Status::io_error("cannot write '" + path + "': " + std::strerror(saved != 0 ? saved : errno));
  return {};
}

}  // namespace

void add_certs_flags(CLI::App& command, CertsFlags& flags) {
  command.add_option("--out", flags.out_dir, "Folder to write the CA, worker and controller files into")->required();
  command
      .add_option("--hosts", flags.hosts,
                  "Names or IP addresses the controller dials the workers by (the worker certificate's SANs); for "
                  "--workers dns:NAME:PORT give NAME")
      ->required()
      ->delimiter(',');
  command.add_option("--days", flags.days, "Validity of the CA and the certificates, in days")->capture_default_str();
  command.add_flag("--force", flags.force, "Replace files that exist");
}

int run_certs_command(const CertsFlags& flags) {
  auto set = tls::generate_mutual_tls_set(flags.hosts, flags.days);
  if (!set.ok()) return error_exit(set.status());
  const std::filesystem::path dir(flags.out_dir);
  const OutputFile files[] = {
      {"ca.pem", &set->ca.cert_pem, 0644},         {"ca-key.pem", &set->ca.key_pem, 0600},
      {"worker.pem", &set->worker.cert_pem, 0644}, {"worker-key.pem", &set->worker.key_pem, 0600},
      {"controller.pem", &set->controller.cert_pem, 0644},
      {"controller-key.pem", &set->controller.key_pem, 0600},
  };
  // Nothing is written unless everything may be: no half-replaced set.
  std::error_code ec;
  if (!flags.force) {
    std::string existing;
    for (const OutputFile& f : files) {
      if (std::filesystem::symlink_status(dir / f.name, ec).type() != std::filesystem::file_type::not_found) {
        existing += (existing.empty() ? "'" : ", '") + (dir / f.name).string() + "'";
      }
    }
    if (!existing.empty()) {
      std::cerr << "nightjar: error: refusing to overwrite " << existing << " (--force replaces them)\n";
      return kExitUsage;
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    std::cerr << "nightjar: error: --out: cannot create the folder '" << flags.out_dir << "'"
              << (ec ? ": " + ec.message() : "") << "\n";
    return kExitFailure;
  }
  for (const OutputFile& f : files) {
    if (Status s = write_file((dir / f.name).string(), *f.text, f.mode, flags.force); !s.ok()) {
      std::cerr << "nightjar: error: " << s.message() << "\n";
      return kExitFailure;
    }
  }
  const std::string d = dir.string() + "/";
  std::string hosts;
  for (const std::string& h : flags.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
  const std::string& first = flags.hosts.front();
  const std::string dialled = first.find(':') != std::string::npos ? "[" + first + "]" : first;
  std::cout << "wrote " << d << "ca.pem and " << d << "ca-key.pem (the CA; keep its key away from the workers)\n"
            << "wrote " << d << "worker.pem and " << d << "worker-key.pem (valid for " << hosts << ")\n"
            << "wrote " << d << "controller.pem and " << d << "controller-key.pem (the controller's client certificate)\n"
            << "valid for " << flags.days << " days\n\n"
            << "worker:     nightjar worker --listen 0.0.0.0:7070 --tls-cert " << d << "worker.pem --tls-key " << d
            << "worker-key.pem --client-ca " << d << "ca.pem\n"
            << "controller: nightjar load URL --workers " << dialled << ":7070 --worker-ca " << d
            << "ca.pem --worker-cert " << d << "controller.pem --worker-key " << d << "controller-key.pem\n";
  return kExitOk;
}

Command add_certs_command(CLI::App& app) {
  return make_command<CertsFlags>(app, "certs", "Write a CA and worker/controller certificates for mutual TLS",
                                  add_certs_flags, run_certs_command);
}

}  // namespace nightjar::cli
