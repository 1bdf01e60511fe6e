// What the long-running verbs that run a node share (`gorch up` today; `gorch agent`
// could use it too): a CRI runtime connected, with the log server `gorch logs`
// reads through.
#pragma once

#include <memory>
#include <string>

#include "gorch/base/status.h"

#if __has_include("gorch/agent/cri_runtime.h") && __has_include("gorch/agent/log_server.h")
#include "gorch/agent/cri_runtime.h"
#include "gorch/agent/log_server.h"
#define GORCH_CLI_HAVE_CRI 1

namespace gorch::cli {

struct CriNode {
  std::unique_ptr<agent::ContainerRuntime> runtime;
  // Reads `runtime`: destroy it before the runtime (before the Agent that owns it).
  std::unique_ptr<agent::LogServer> log_server;
  std::string agent_address;  // what AgentOptions::agent_address registers
};

// Connects a CriRuntime with `options` and starts its log server on `listen`
// (HOST:PORT, port 0: a free one). Errors: CriRuntime::Connect's, LogServer::Start's.
Result<CriNode> ConnectCriNode(agent::CriOptions options, const std::string& listen);

}  // namespace gorch::cli
#endif
