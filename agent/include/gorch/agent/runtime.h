// The seam between the node agent and whatever runs containers (STYLE.md §5):
// the hollow runtime (hollow_runtime.h) accepts pods without running anything, as
// Kubernetes' kubemark does; the CRI runtime (containerd) implements the same
// interface with a pod sandbox (RunPodSandbox) and its containers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::agent {

// One key of a ConfigMap or Secret (env valueFrom configMapKeyRef / secretKeyRef).
struct KeyRef {
  std::string kind;  // "ConfigMap" or "Secret"
  std::string name;
  std::string key;
  bool optional = false;
};

// An env var whose value comes from a ConfigMap or Secret key.
struct EnvRef {
  std::string name;
  KeyRef source;
};

// envFrom: every key of a ConfigMap or Secret as an env var (prefix + key).
struct EnvFromSource {
  std::string kind;  // "ConfigMap" or "Secret"
  std::string name;
  std::string prefix;
  bool optional = false;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  std::string sub_path;
  bool read_only = false;
};

struct ContainerPort {
  std::string name;
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string protocol = "TCP";  // TCP, UDP, SCTP
};

// A liveness, readiness or startup probe (times in seconds, as in the pod spec).
struct Probe {
  enum class Kind { kExec, kHttpGet, kTcpSocket };
  Kind kind = Kind::kExec;
  std::vector<std::string> command;  // kExec
  std::string host;                  // kHttpGet, kTcpSocket; empty: the pod's IP (or loopback)
  int32_t port = 0;                  // kHttpGet, kTcpSocket (a named port is resolved)
  std::string path = "/";            // kHttpGet
  std::string scheme = "HTTP";       // kHttpGet: only HTTP is supported
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t success_threshold = 1;
  int32_t failure_threshold = 3;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // literal values only
  // Added for the CRI runtime (pod_convert fills them; the hollow runtime ignores them).
  std::vector<EnvRef> env_refs;            // env with valueFrom (after the literal ones)
  std::vector<EnvFromSource> env_from;     // applied first; env overrides them
  std::string working_dir;
  std::vector<VolumeMount> volume_mounts;
  std::vector<ContainerPort> ports;
  int64_t cpu_limit_millis = 0;      // resources.limits.cpu; 0 = none
  int64_t cpu_request_millis = 0;    // resources.requests.cpu (CPU shares)
  int64_t memory_limit_bytes = 0;    // resources.limits.memory; 0 = none
  std::optional<Probe> liveness, readiness, startup;
};

// A pod volume. Exactly one kind; `source` is the hostPath path, the ConfigMap /
// Secret name or the PersistentVolumeClaim's claimName.
struct Volume {
  enum class Kind { kEmptyDir, kHostPath, kConfigMap, kSecret, kPersistentVolumeClaim };
  std::string name;
  Kind kind = Kind::kEmptyDir;
  std::string source;
  std::vector<std::pair<std::string, std::string>> items;  // key -> relative path; empty: every key
  int32_t default_mode = -1;  // file mode for projected files; -1: 0644 (ConfigMap), 0400 (Secret)
  bool optional = false;
  bool read_only = false;
  std::string host_path_type;  // hostPath: "", "DirectoryOrCreate", "Directory", ...
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
  // Added for the CRI runtime.
  std::vector<Volume> volumes;
  bool host_network = false;
  std::string hostname;                     // spec.hostname, else the pod's name
  int64_t termination_grace_seconds = -1;   // -1: the grace StopPod is given
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
  // Added for the CRI runtime.
  std::string message;        // e.g. the runtime's image pull error
  std::string container_id;   // the runtime's id ("" when none)
  // The run before the current one (lastState.terminated), when there was one.
  bool has_last = false;
  int32_t last_exit_code = 0;
  std::string last_reason;
  int64_t last_started_at_ms = 0, last_finished_at_ms = 0;
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
  // Resource usage of the pod's containers (ContainerStats), -1 when unknown.
  int64_t cpu_nano_cores = -1;
  int64_t memory_working_set_bytes = -1;

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
  // Called (from any thread, without locks held) when a pod's state may have
  // changed, so that the caller reports it without waiting for its next poll.
  // Runtimes that never change state on their own may ignore it.
  virtual void SetChangeListener(std::function<void()> listener) { (void)listener; }
};

}  // namespace gorch::agent
