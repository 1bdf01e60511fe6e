// Pods between the store's JSON and the runtime's structs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gorch/agent/runtime.h"
#include "gorch/base/status.h"

namespace gorch::agent {

// A pod's store value (envelope {"object": Pod}) as the runtime's PodSpec. The
// uid is metadata.uid, else "<ns>/<name>@<create_revision>". Also returns the
// phase the store already holds (empty when none).
Result<PodSpec> PodSpecFromStore(const std::string& ns, const std::string& name, int64_t create_revision,
                                 const std::string& store_value, std::string* stored_phase);

// The pod's object.status as JSON text (phase, conditions Ready/ContainersReady,
// containerStatuses, podIP, hostIP, startTime), deterministic so that an unchanged
// state gives the same text.
std::string PodStatusJson(const PodState& state, const std::string& host_ip);

// Kubernetes quantities: CPU ("250m", "0.5", "2") as millicores, memory ("64Mi",
// "1G", "1048576") as bytes; nullopt for empty or malformed text.
std::optional<int64_t> ParseCpuMillis(std::string_view text);
std::optional<int64_t> ParseMemoryBytes(std::string_view text);

// Unix milliseconds as RFC 3339 ("2024-05-01T12:00:00Z").
std::string Rfc3339(int64_t unix_ms);

}  // namespace gorch::agent
