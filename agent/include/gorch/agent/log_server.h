// The agent's own gRPC endpoint (gorch.v1.Agent, proto/gorch/v1/agent.proto):
// streams container logs from the CRI log files of the pods this node runs, for
// `gorch logs`. The agent registers the address it listens on as its Node's
// AgentEndpoint.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gorch/base/status.h"

namespace gorch::agent {

struct LogSource {
  // The log file of a container (previous: the run before the current one).
  // NotFound / InvalidArgument with a message for the user.
  std::function<Result<std::filesystem::path>(const std::string& ns, const std::string& pod,
                                              const std::string& container, bool previous)>
      locate;
  // Whether the pod still runs here (a follow ends when it does not).
  std::function<bool(const std::string& ns, const std::string& pod)> alive;
};

// Strips CRI log framing ("<time> stdout|stderr F|P <text>\n") from whole lines of
// `data`: full lines (F) get their newline back, partial ones (P) do not. Lines
// without the framing are passed through.
std::string CriLogText(std::string_view data);

class LogServer {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one). Unavailable when
  // it cannot bind.
  static Result<std::unique_ptr<LogServer>> Start(const std::string& address, LogSource source);
  ~LogServer();  // stops serving; open streams end

  // "HOST:PORT" actually bound.
  const std::string& Address() const { return address_; }

  class Impl;

 private:
  LogServer() = default;
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace gorch::agent
