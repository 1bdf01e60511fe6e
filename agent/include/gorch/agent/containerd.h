// A private containerd: one containerd process of gorch's own, with its root,
// state, socket, config and log inside one directory, configured as
// ../shared/RUNTIME.md says these machines need (restrict_oom_score_adj, a local
// pause image, CNI plugins from /usr/lib/cni). `gorch up` and the integration
// tests run one so that nothing touches a system containerd; several can run side
// by side, each in its own directory.
//
// Layout of `dir` (docs/up.md):
//   config.toml       the containerd config written by Start
//   containerd.sock   the gRPC socket (CRI runtime.v1 and containerd's own API)
//   containerd.log    containerd's stdout and stderr
//   root/ state/      containerd's root and state (runc's state under state/runc)
//   cni/net.d/        the CNI conflist (only with a pod_subnet)
//   cni/ipam/         host-local IPAM allocations (only with a pod_subnet)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "gorch/base/status.h"

namespace gorch::agent {

struct ContainerdOptions {
  // Where everything lives (created if missing). Should be short: the socket path
  // must fit in 108 bytes; when dir/containerd.sock would not, the socket goes to
  // /tmp/gorch-ctrd-<hash of dir>/containerd.sock instead.
  std::filesystem::path dir;
  // "" = no CNI: pods must use host networking. Else an IPv4 CIDR such as
  // "198.18.7.0/24": a CNI conflist (bridge + host-local + portmap + loopback) gives
  // each pod its own network namespace and an address in it; the bridge takes the
  // first address.
  std::string pod_subnet;
  std::string bridge = "gorch0";
  // The containerd binary, and how long Start waits for it to answer.
  std::string containerd_binary = "/usr/bin/containerd";
  std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
  // Containerd's log level ("info", "debug", ...).
  std::string log_level = "info";
};

// A containerd of our own, stopped (with every container it ran) in the destructor.
// Thread safety: none; one owner calls Restart/Stop.
class PrivateContainerd {
 public:
  // Writes the config, spawns containerd in its own process group (log in
  // dir/containerd.log) and waits until it answers on its socket. Errors name what
  // failed and point at the log: InvalidArgument (bad options), IOError (cannot
  // write the config), Unavailable (containerd exited or did not answer in time).
  static Result<std::unique_ptr<PrivateContainerd>> Start(ContainerdOptions o);

  ~PrivateContainerd();
  PrivateContainerd(const PrivateContainerd&) = delete;
  PrivateContainerd& operator=(const PrivateContainerd&) = delete;

  // "unix:///…/containerd.sock": what a CRI client dials.
  std::string Endpoint() const;
  // The socket's path alone (what `ctr --address` takes).
  std::string SocketPath() const;
  const std::filesystem::path& Dir() const { return options_.dir; }
  std::filesystem::path LogPath() const { return options_.dir / "containerd.log"; }
  // containerd's pid; 0 when stopped.
  pid_t Pid() const { return pid_; }

  // Stops containerd only (SIGTERM) and starts it again on the same dir; running
  // containers keep running under their shims, as with a system containerd's
  // restart. Errors as Start.
  Status Restart();
  // Stops containerd (SIGTERM, then SIGKILL after 10 s), kills every container and
  // shim it started, and lazily unmounts whatever is still mounted under dir (pod
  // sandboxes' rootfs, /dev/shm, network namespaces), so dir can be removed.
  // Idempotent. Returns the first cleanup that failed, after trying them all.
  Status Stop();

 private:
  explicit PrivateContainerd(ContainerdOptions o) : options_(std::move(o)) {}
  Status Spawn();          // starts the process, waits for it to answer
  Status StopProcess();    // SIGTERM, wait, SIGKILL

  ContainerdOptions options_;
  std::string socket_;
  pid_t pid_ = 0;
};

// Builds the OCI image tars from busybox-static (images.h) and imports them into
// the containerd at `endpoint` ("unix:///…" or a socket path), namespace k8s.io:
// localhost/busybox:1 (Cmd ["sh"]) and localhost/pause:1. Idempotent.
// Errors: NotFound (no /bin/busybox: install busybox-static), Unavailable (ctr
// failed; its output in the message).
Status ImportLocalImages(const std::string& endpoint);

}  // namespace gorch::agent
