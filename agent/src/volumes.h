// What a pod's containers see besides their image: env resolved from ConfigMaps
// and Secrets, and volumes prepared as host folders to bind-mount.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gorch/agent/cri_runtime.h"
#include "gorch/agent/runtime.h"
#include "gorch/base/status.h"

namespace gorch::agent {

// A ConfigMap's data (+ binaryData decoded) or a Secret's data (base64-decoded)
// + stringData, key -> bytes. NotFound naming the object when it does not exist;
// Unavailable when it cannot be read; InvalidArgument for malformed base64.
Result<std::map<std::string, std::string>> ReadConfigData(const ObjectGetter& get, const std::string& kind,
                                                          const std::string& ns, const std::string& name);

// The container's env: envFrom sources first, then env in order (literal values
// and valueFrom keys), later names overriding earlier ones. A missing object or
// key that is not optional is FailedPrecondition ("configmap \"x\" not found").
Result<std::vector<std::pair<std::string, std::string>>> ResolveEnv(const ContainerSpec& c, const std::string& ns,
                                                                    const ObjectGetter& get);

// Makes every volume of the pod exist on the host and returns name -> host path:
// emptyDir as pod_dir/volumes/<name>, configMap/secret as pod_dir/volumes/<name>
// holding one file per key (secrets 0400, config maps 0644, unless defaultMode),
// hostPath as given (made for DirectoryOrCreate), a PVC as pvc_root/<ns>/<claim>
// (kept after the pod). FailedPrecondition for a missing ConfigMap/Secret that is
// not optional, or a hostPath that must exist and does not.
Result<std::map<std::string, std::filesystem::path>> PrepareVolumes(const PodSpec& pod,
                                                                    const std::filesystem::path& pod_dir,
                                                                    const std::filesystem::path& pvc_root,
                                                                    const ObjectGetter& get);

// Standard base64 (padding optional); nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

// s's code with another message (Status has no public (code, message) constructor).
Status WithMessage(const Status& s, const std::string& message);

// A string usable as one path segment: characters outside [A-Za-z0-9._-] become '_'.
std::string PathSegment(std::string_view text);

}  // namespace gorch::agent
