// The node agent: registers its node with `gorch server`, keeps its heartbeat
// lease alive, watches the pods bound to the node, runs them through a
// ContainerRuntime and reports their status (docs/api.md, docs/state-model.md).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gorch/agent/runtime.h"
#include "gorch/base/status.h"

namespace gorch::agent {

struct TaintSpec {
  std::string key, value, effect;  // effect: NoSchedule, PreferNoSchedule, NoExecute
};

struct AgentOptions {
  std::string server;  // host:port
  std::string node;    // this node's name
  std::map<std::string, std::string> labels;
  std::vector<TaintSpec> taints;
  std::string cpu = "4";
  std::string memory = "16Gi";
  int64_t pods = 110;
  // How often pods are reconciled with the runtime and their status reported.
  std::chrono::milliseconds sync_interval{250};
  // Deadline of each call to the server.
  std::chrono::milliseconds rpc_timeout{std::chrono::seconds(5)};
  // Grace period given to StopPod.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
  // The address of this agent's own endpoint (log_server.h), registered as the
  // Node's AgentEndpoint; empty: none.
  std::string agent_address;
  // A connection to the server of its own (true), as an agent on its own machine
  // has; false: gRPC shares one connection between the agents of a process (a
  // benchmark's hollow nodes then all talk over one connection).
  bool own_connection = true;
  // One line per thing the agent did; null: silent. Called from any thread.
  std::function<void(const std::string&)> log;
};

// "k=v,k2=v2" -> labels; "k=v:Effect,k:Effect" -> taints. InvalidArgument naming
// the malformed item.
Result<std::map<std::string, std::string>> ParseLabels(std::string_view text);
Result<std::vector<TaintSpec>> ParseTaints(std::string_view text);

class Agent {
 public:
  Agent(AgentOptions options, std::unique_ptr<ContainerRuntime> runtime);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs until `stop` becomes true (checked every sync_interval at least), then
  // returns Ok. An unreachable or restarting server is retried with backoff, not
  // an error; a registration the server rejects as invalid (bad name, capacity,
  // taint) returns that error.
  Status Run(const std::atomic<bool>& stop);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gorch::agent
