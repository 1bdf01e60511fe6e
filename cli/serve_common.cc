#include "serve_common.h"

#ifdef GORCH_CLI_HAVE_CRI
namespace gorch::cli {

Result<CriNode> ConnectCriNode(agent::CriOptions options, const std::string& listen) {
  auto connected = agent::CriRuntime::Connect(std::move(options));
  if (!connected.ok()) return Status(connected.status());
  CriNode node;
  agent::CriRuntime* raw = connected->get();
  node.runtime = std::move(*connected);
  agent::LogSource source;
  source.locate = [raw](const std::string& ns, const std::string& pod, const std::string& c, bool previous) {
    return raw->LogPath(ns, pod, c, previous);
  };
  source.alive = [raw](const std::string& ns, const std::string& pod) { return raw->HasPod(ns, pod); };
  auto server = agent::LogServer::Start(listen, std::move(source));
  if (!server.ok()) return Status(server.status());
  node.log_server = std::move(*server);
  node.agent_address = node.log_server->Address();
  return node;
}

}  // namespace gorch::cli
#endif
