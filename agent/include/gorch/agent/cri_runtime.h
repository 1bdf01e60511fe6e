// The CRI runtime: runs pods as CRI pod sandboxes and containers through a
// container runtime's `runtime.v1` gRPC services (containerd's CRI plugin) on a
// unix socket. It pulls missing images, prepares volumes under its root folder,
// resolves env from ConfigMaps and Secrets, restarts exited containers by the
// pod's restart policy with exponential backoff (CrashLoopBackOff), runs
// liveness / readiness / startup probes, and adopts the sandboxes a previous
// agent left running (docs/agent.md).
//
// Layout under `root`:
//   pods/<pod-dir>/volumes/<name>   emptyDir, configMap and secret volumes (removed with the pod)
//   logs/<ns>_<name>_<uid>/<container>/<attempt>.log   CRI log files (removed with the pod)
//   pvc/<ns>/<claim>                PersistentVolumeClaims (kept: the same claim gets the same folder)
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "gorch/agent/runtime.h"
#include "gorch/base/status.h"

namespace gorch::agent {

// Reads an object from the control plane: its stored JSON (the envelope
// {"object": ...}). NotFound when it does not exist; Unavailable when the server
// cannot be reached. Called from any thread.
using ObjectGetter =
    std::function<Result<std::string>(const std::string& kind, const std::string& ns, const std::string& name)>;

// An ObjectGetter over `gorch server` at address (HOST:PORT), with timeout per call.
ObjectGetter ServerObjectGetter(const std::string& address,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5));

struct CriOptions {
  std::string endpoint = "unix:///run/containerd/containerd.sock";
  std::filesystem::path root = "/var/lib/gorch/agent";
  // "host": every pod on the node's network; "cni": pods without hostNetwork get
  // their own network namespace and IP from the runtime's CNI setup.
  std::string pod_network = "host";
  // The podIP reported for pods on the host network.
  std::string host_ip = "127.0.0.1";
  ObjectGetter get_object;  // null: ConfigMap/Secret references fail
  // Backoff between restarts of a crashing container (and between image pulls
  // that failed): the first restart is at once, then base, doubling up to cap.
  std::chrono::milliseconds backoff_base{std::chrono::seconds(10)};
  std::chrono::milliseconds backoff_cap{std::chrono::minutes(5)};
  // How often container states are listed from the runtime (exits, restarts).
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(500)};
  // How often CPU and memory usage are read (ContainerStats).
  std::chrono::milliseconds stats_interval{std::chrono::seconds(10)};
  // Deadline of a PullImage call; of every other call.
  std::chrono::milliseconds pull_timeout{std::chrono::minutes(2)};
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  // One line per thing the runtime did; null: silent. Called from any thread.
  std::function<void(const std::string&)> log;
};

// Sandbox labels that mark a sandbox (and its containers) as gorch's.
inline constexpr const char* kManagedLabel = "gorch.dev/managed";
inline constexpr const char* kPodUidLabel = "gorch.dev/pod-uid";
inline constexpr const char* kPodNameLabel = "gorch.dev/pod-name";
inline constexpr const char* kPodNamespaceLabel = "gorch.dev/pod-namespace";
inline constexpr const char* kContainerNameLabel = "gorch.dev/container-name";

class CriRuntime final : public ContainerRuntime {
 public:
  // Connects to the runtime (Version must answer within call_timeout) and lists
  // the gorch sandboxes already there, which RunPod adopts for the same uid.
  // Unavailable when the runtime does not answer; IOError when root cannot be made.
  static Result<std::unique_ptr<CriRuntime>> Connect(CriOptions options);
  ~CriRuntime() override;  // stops workers; leaves pods running (a new agent adopts them)

  std::string Name() const override { return "cri"; }
  // Returns at once; the pod's own worker thread creates (or adopts) its sandbox
  // and containers. InvalidArgument for a pod without uid or containers.
  Status RunPod(const PodSpec& pod) override;
  // Stops the pod's containers (StopContainer with the pod's
  // terminationGracePeriodSeconds, else `grace`) and removes them, the sandbox,
  // its volumes and logs. Returns once the pod is gone (or the runtime failed).
  Status StopPod(const std::string& uid, std::chrono::milliseconds grace) override;
  Result<PodState> PodStatus(const std::string& uid) override;
  // Pods RunPod was given plus gorch sandboxes found in the runtime not adopted yet.
  Result<std::vector<std::string>> ListPods() override;
  void SetChangeListener(std::function<void()> listener) override;

  // The log file of a container of a pod this runtime runs: the current run, or
  // with previous the one before. NotFound when there is none.
  Result<std::filesystem::path> LogPath(const std::string& ns, const std::string& pod, const std::string& container,
                                        bool previous);
  // True while the pod (by namespace/name) runs here.
  bool HasPod(const std::string& ns, const std::string& pod);

  class Impl;

 private:
  explicit CriRuntime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorch::agent
