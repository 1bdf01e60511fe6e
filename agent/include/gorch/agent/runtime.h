// The seam between the node agent and whatever runs containers (STYLE.md §5):
// the hollow runtime (hollow_runtime.h) accepts pods without running anything, as
// Kubernetes' kubemark does; the CRI runtime (containerd) implements the same
// interface with a pod sandbox (RunPodSandbox) and its containers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::agent {

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // literal values only
};

// What a runtime needs to run one pod. `uid` names one incarnation of the pod: a
// pod deleted and created again under the same name gets a new uid.
struct PodSpec {
  std::string uid;
  std::string namespace_;
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<ContainerSpec> init_containers;
  std::vector<ContainerSpec> containers;
  std::string restart_policy = "Always";  // Always, OnFailure, Never
  std::string spec_json;  // the whole object.spec, for fields this struct does not carry
};

enum class ContainerState { kWaiting, kRunning, kExited };

struct ContainerStatus {
  std::string name;
  std::string image;
  ContainerState state = ContainerState::kWaiting;
  bool ready = false;
  int32_t exit_code = 0;      // for kExited
  int32_t restart_count = 0;
  std::string reason;         // e.g. "Completed", "Error", "ContainerCreating"
  int64_t started_at_ms = 0;  // Unix milliseconds; 0 when never started
  int64_t finished_at_ms = 0;
};

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed };
std::string_view PodPhaseName(PodPhase phase);  // "Pending", "Running", ...

// What the runtime observes of a pod.
struct PodState {
  PodPhase phase = PodPhase::kPending;
  std::vector<ContainerStatus> containers;  // in spec order
  std::string pod_ip;
  int64_t started_at_ms = 0;  // Unix milliseconds the sandbox started
  std::string reason, message;

  // Every container running and ready (the pod's Ready condition).
  bool Ready() const;
};

// Thread safety: every method may be called from any thread.
class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  virtual std::string Name() const = 0;  // "hollow", "cri"
  // Creates the pod's sandbox and starts its containers (init containers first).
  // Idempotent: a uid that runs already is left alone. Errors: InvalidArgument (a
  // spec the runtime cannot run), Unavailable (the runtime is down).
  virtual Status RunPod(const PodSpec& pod) = 0;
  // Stops the pod's containers (SIGTERM, then SIGKILL after `grace`) and removes
  // them and the sandbox. An unknown uid is Ok (already gone).
  virtual Status StopPod(const std::string& uid, std::chrono::milliseconds grace) = 0;
  // The pod's current state. NotFound for a uid the runtime does not run.
  virtual Result<PodState> PodStatus(const std::string& uid) = 0;
  // The uids of every pod the runtime runs (to find leftovers after a restart).
  virtual Result<std::vector<std::string>> ListPods() = 0;
};

}  // namespace gorch::agent
