// What the verbs that talk to `gorch server` share: connecting, and waiting for
// workloads to roll out (`gorch apply --wait`).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/compiler/desired_state.h"
#include "gorch/engine/client.h"

namespace gorch::cli {

// The default server address, overridden by $GORCH_SERVER.
std::string DefaultServerAddress();

// A client of the server at address (HOST:PORT), with a 10 s deadline per call.
Result<std::unique_ptr<engine::GorchClient>> ConnectServer(const std::string& address);

// Polls each workload (Deployment, StatefulSet, DaemonSet, Job; other kinds are
// skipped) until it is rolled out, printing "Deployment/ns/name: 2/3 ready" when
// its progress changes. Returns Ok when all are done; FailedPrecondition naming
// the workloads whose rollout failed or was rolled back; Unavailable on timeout.
Status WaitForWorkloads(engine::GorchClient& client, const std::vector<compiler::ResourceId>& workloads,
                        std::chrono::milliseconds timeout);

}  // namespace gorch::cli
