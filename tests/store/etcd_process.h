// A private etcd for tests and benchmarks: Debian's /usr/bin/etcd started on free
// loopback ports with its data in a temporary directory, stopped (and the directory
// removed) when the object goes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "gorch/base/status.h"

namespace gorch::store::testing {

inline constexpr const char* kEtcdBinary = "/usr/bin/etcd";

// True when the etcd binary is installed.
bool EtcdInstalled();
// True when the CI environment variable is set (etcd tests must then not skip).
bool InCi();

class EtcdProcess {
 public:
  // Starts etcd and waits (up to 30 s) until it answers.
  static Result<std::unique_ptr<EtcdProcess>> Start(const std::string& binary = kEtcdBinary);
  ~EtcdProcess();
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // "127.0.0.1:PORT", for EtcdOptions::endpoints.
  const std::string& endpoint() const { return endpoint_; }
  const std::string& data_dir() const { return data_dir_; }

  // Stops etcd (SIGTERM, then SIGKILL after 10 s). Idempotent.
  Status Stop();
  // Starts it again on the same ports and data, and waits until it answers.
  Status Restart();

 private:
  EtcdProcess() = default;
  Status Launch();
  Status WaitReady();

  std::string binary_;
  std::string root_;      // temp dir holding data/ and etcd.log
  std::string data_dir_;
  int client_port_ = 0;
  int peer_port_ = 0;
  std::string endpoint_;
  pid_t pid_ = -1;
};

}  // namespace gorch::store::testing
