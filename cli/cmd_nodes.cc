// gorch nodes: the registered nodes, their readiness, capacity and pods.
#include <iostream>
#include <map>

#include "commands.h"
#include "output.h"
#include "remote.h"

namespace gorch::cli {
namespace {

struct NodesArgs {
  std::string server = DefaultServerAddress();
  std::string selector;
};

int RunNodes(const NodesArgs& args) {
  auto client = ConnectServer(args.server);
  if (!client.ok()) {
    std::cerr << "gorch: error: --server: " << client.status().message() << "\n";
    return kExitError;
  }
  v1::ListRequest nodes_req;
  nodes_req.set_kind("Node");
  nodes_req.set_all_namespaces(true);
  nodes_req.set_label_selector(args.selector);
  auto nodes = (*client)->List(nodes_req);
  v1::ListRequest pods_req;
  pods_req.set_kind("Pod");
  pods_req.set_all_namespaces(true);
  auto pods = nodes.ok() ? (*client)->List(pods_req) : Result<v1::ListResponse>(nodes.status());
  if (!pods.ok()) {
    std::cerr << "gorch: error: " << pods.status().message() << "\n";
    return kExitError;
  }
  std::map<std::string, int> bound;
  for (const auto& p : pods->objects()) {
    OJson o = ObjectOf(p);
    std::string phase = StrAt(o, {"status", "phase"});
    if (phase != "Succeeded" && phase != "Failed") ++bound[StrAt(o, {"spec", "nodeName"})];
  }
  if (nodes->objects().empty()) {
    std::cerr << "No nodes registered (start one with `gorch agent --server ADDR --node NAME`).\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "CPU", "MEMORY", "PODS", "TAINTS", "AGE"}};
  for (const auto& n : nodes->objects()) {
    OJson o = ObjectOf(n);
    std::string status = "Unknown";
    const OJson& conds = At(o, {"status", "conditions"});
    if (conds.is_array())
      for (const auto& c : conds)
        if (c.is_object() && c.value("type", "") == "Ready") status = c.value("status", "") == "True" ? "Ready" : "NotReady";
    if (At(o, {"spec", "unschedulable"}) == OJson(true)) status += ",SchedulingDisabled";
    std::string taints;
    const OJson& ts = At(o, {"spec", "taints"});
    if (ts.is_array())
      for (const auto& t : ts) {
        std::string v = StrAt(t, {"value"});
        taints += (taints.empty() ? "" : ",") + StrAt(t, {"key"}) + (v.empty() ? "" : "=" + v) + ":" + StrAt(t, {"effect"});
      }
    rows.push_back({n.name(), status, StrAt(o, {"status", "capacity", "cpu"}), StrAt(o, {"status", "capacity", "memory"}),
                    std::to_string(bound[n.name()]) + "/" + StrAt(o, {"status", "capacity", "pods"}),
                    taints.empty() ? "<none>" : taints, Age(StrAt(o, {"metadata", "creationTimestamp"}))});
  }
  PrintTable(rows);
  return kExitOk;
}

void AddNodesCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<NodesArgs>();
  CLI::App* cmd = app.add_subcommand("nodes", "List the registered nodes: readiness, capacity, pods, taints");
  cmd->footer("PODS counts the pods bound to a node that have not finished, out of its capacity.\n"
              "Example:\n  gorch nodes --server 127.0.0.1:7420 -l zone=a");
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  cmd->add_option("-l,--selector", args->selector, "Label selector: k=v,k!=v,k,!k");
  cmd->callback([args, &state] { state.exit_code = RunNodes(*args); });
}

const bool registered = RegisterCommand("nodes", &AddNodesCommand);

}  // namespace
}  // namespace gorch::cli
