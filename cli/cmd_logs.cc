// gorch logs: a container's log, streamed from the agent of the pod's node (the
// Node's AgentEndpoint address), which reads the CRI log files.
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <iostream>

#include "commands.h"
#include "output.h"
#include "remote.h"
#include "gorch/v1/agent.grpc.pb.h"

namespace gorch::cli {
namespace {

struct LogsArgs {
  std::string server = DefaultServerAddress();
  std::string pod;
  std::string ns = "default";
  std::string container;
  bool follow = false;
  int64_t tail = -1;
  bool previous = false;
};

grpc::ClientContext* g_logs_ctx = nullptr;

// The AgentEndpoint of the node running ns/pod, or an error for the user.
Result<std::string> AgentEndpointOf(engine::GorchClient& client, const std::string& ns, const std::string& pod) {
  auto got = client.Get("Pod", ns, pod);
  if (!got.ok()) return got.status();
  const std::string node = StrAt(ObjectOf(got->object()), {"spec", "nodeName"});
  if (node.empty()) return Status::FailedPrecondition("pod " + pod + " is not scheduled to a node yet");
  auto n = client.Get("Node", "", node);
  if (!n.ok()) return Status::NotFound("pod " + pod + " runs on node " + node + ", which is not registered");
  const OJson node_object = ObjectOf(n->object());
  const OJson& addresses = At(node_object, {"status", "addresses"});
  if (addresses.is_array())
    for (const auto& a : addresses)
      if (a.value("type", "") == "AgentEndpoint" && !a.value("address", "").empty())
        return a["address"].get<std::string>();
  return Status::FailedPrecondition("node " + node + "'s agent serves no logs (it registered no AgentEndpoint: " +
                                    "a hollow agent, or one started without --listen)");
}

int RunLogs(const LogsArgs& args) {
  auto client = ConnectServer(args.server);
  if (!client.ok()) {
    std::cerr << "gorch: error: --server: " << client.status().message() << "\n";
    return kExitError;
  }
  auto endpoint = AgentEndpointOf(**client, args.ns, args.pod);
  if (!endpoint.ok()) {
    std::cerr << "gorch: error: " << endpoint.status().message() << "\n";
    return kExitError;
  }
  auto stub = v1::Agent::NewStub(grpc::CreateChannel(*endpoint, grpc::InsecureChannelCredentials()));
  v1::LogsRequest req;
  req.set_namespace_(args.ns);
  req.set_pod(args.pod);
  req.set_container(args.container);
  req.set_follow(args.follow);
  if (args.tail == 0 && !args.follow) return kExitOk;  // nothing asked for
  req.set_tail(args.tail < 0 ? 0 : args.tail == 0 ? -1 : args.tail);  // the request's 0 is "all"
  req.set_previous(args.previous);
  grpc::ClientContext ctx;
  if (!args.follow) ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  g_logs_ctx = &ctx;
  // Ctrl-C while following ends the stream cleanly.
  std::signal(SIGINT, [](int) {
    if (g_logs_ctx) g_logs_ctx->TryCancel();
  });
  auto reader = stub->Logs(&ctx, req);
  v1::LogChunk chunk;
  while (reader->Read(&chunk)) std::cout << chunk.data() << std::flush;
  grpc::Status s = reader->Finish();
  g_logs_ctx = nullptr;
  if (!s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE)
      std::cerr << "gorch: error: cannot reach the agent at " << *endpoint << ": " << s.error_message() << "\n";
    else
      std::cerr << "gorch: error: " << s.error_message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

void AddLogsCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<LogsArgs>();
  CLI::App* cmd = app.add_subcommand("logs", "Print (or follow) a container's log");
  cmd->footer(
      "The log is read by the agent of the pod's node from the runtime's log files.\n"
      "Examples:\n  gorch logs web-5d8f7-abcde -n shop\n  gorch logs redis-0 -n shop -c redis -f --tail 20\n"
      "  gorch logs web-5d8f7-abcde -n shop --previous   # the run before the last restart");
  cmd->add_option("pod", args->pod, "The pod's name")->required();
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  cmd->add_option("-n,--namespace", args->ns, "Namespace")->capture_default_str();
  cmd->add_option("-c,--container", args->container, "Container (required when the pod has several)");
  cmd->add_flag("-f,--follow", args->follow, "Keep streaming new lines until the pod goes or Ctrl-C");
  cmd->add_option("--tail", args->tail, "Only the last N lines (-1: all)")->capture_default_str();
  cmd->add_flag("-p,--previous", args->previous, "The previous run's log (after a restart)");
  cmd->callback([args, &state] { state.exit_code = RunLogs(*args); });
}

const bool registered = RegisterCommand("logs", &AddLogsCommand);

}  // namespace
}  // namespace gorch::cli
