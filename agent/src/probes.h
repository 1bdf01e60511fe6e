// Network probes (httpGet, tcpSocket) run from the agent against a container.
// Exec probes go through the runtime (ExecSync) and live in cri_runtime.cc.
#pragma once

#include <chrono>
#include <string>

namespace gorch::agent {

struct ProbeOutcome {
  bool success = false;
  std::string message;  // why it failed
};

// Succeeds when a TCP connection to host:port (IPv4 literal or "localhost")
// opens within timeout.
ProbeOutcome TcpProbe(const std::string& host, int port, std::chrono::milliseconds timeout);

// Sends "GET path HTTP/1.1" to host:port; succeeds on a status 200-399 within
// timeout (as the kubelet does).
ProbeOutcome HttpProbe(const std::string& host, int port, const std::string& path,
                       std::chrono::milliseconds timeout);

}  // namespace gorch::agent
