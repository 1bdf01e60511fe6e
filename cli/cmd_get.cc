// gorch get: objects of a kind from `gorch server`, as a kubectl-like table,
// JSON or YAML.
#include <iostream>

#include "commands.h"
#include "output.h"
#include "remote.h"

namespace gorch::cli {
namespace {

struct GetArgs {
  std::string server = DefaultServerAddress();
  std::string kind;
  std::string name;
  std::string ns = "default";
  bool all_namespaces = false;
  std::string selector;
  std::string output;
};

std::string Ready(int64_t ready, int64_t want) { return std::to_string(ready) + "/" + std::to_string(want); }

// The columns of a kind (after NAMESPACE and NAME), and one object's values.
std::vector<std::string> Header(const std::string& kind, bool wide) {
  if (kind == "Pod") {
    std::vector<std::string> h = {"READY", "STATUS", "RESTARTS", "AGE", "NODE"};
    if (wide) h.push_back("IP");
    return h;
  }
  if (kind == "Deployment") return {"READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  if (kind == "ReplicaSet") return {"DESIRED", "CURRENT", "READY", "AGE"};
  if (kind == "StatefulSet") return {"READY", "AGE"};
  if (kind == "DaemonSet") return {"DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AGE"};
  if (kind == "Job") return {"COMPLETIONS", "AGE"};
  if (kind == "Node") return {"STATUS", "CPU", "MEMORY", "PODS", "AGE"};
  return {"AGE"};
}

std::string PodStatusText(const OJson& o) {
  std::string phase = StrAt(o, {"status", "phase"}, "Pending");
  if (!At(o, {"metadata", "deletionTimestamp"}).is_null()) return "Terminating";
  const OJson& statuses = At(o, {"status", "containerStatuses"});
  if (statuses.is_array())
    for (const auto& c : statuses) {
      std::string waiting = StrAt(c, {"state", "waiting", "reason"});
      if (!waiting.empty() && phase != "Succeeded" && phase != "Failed") return waiting;
    }
  if (phase == "Succeeded") return "Completed";
  if (phase == "Failed") {
    std::string reason = StrAt(o, {"status", "reason"});
    return reason.empty() ? "Error" : reason;
  }
  return phase;
}

std::vector<std::string> Row(const std::string& kind, const OJson& o, bool wide) {
  std::string age = Age(StrAt(o, {"metadata", "creationTimestamp"}, StrAt(o, {"status", "startTime"})));
  if (kind == "Pod") {
    const OJson& containers = At(o, {"spec", "containers"});
    int64_t total = containers.is_array() ? static_cast<int64_t>(containers.size()) : 0;
    int64_t ready = 0, restarts = 0;
    const OJson& statuses = At(o, {"status", "containerStatuses"});
    if (statuses.is_array())
      for (const auto& c : statuses) {
        ready += c.is_object() && c.value("ready", false);
        restarts += IntAt(c, {"restartCount"});
      }
    std::vector<std::string> r = {Ready(ready, total), PodStatusText(o), std::to_string(restarts), age,
                                  StrAt(o, {"spec", "nodeName"}, "<none>")};
    if (wide) r.push_back(StrAt(o, {"status", "podIP"}, "<none>"));
    return r;
  }
  const int64_t desired = IntAt(o, {"spec", "replicas"}, 1);
  if (kind == "Deployment")
    return {Ready(IntAt(o, {"status", "readyReplicas"}), desired), std::to_string(IntAt(o, {"status", "updatedReplicas"})),
            std::to_string(IntAt(o, {"status", "availableReplicas"})), age};
  if (kind == "ReplicaSet")
    return {std::to_string(desired), std::to_string(IntAt(o, {"status", "replicas"})),
            std::to_string(IntAt(o, {"status", "readyReplicas"})), age};
  if (kind == "StatefulSet") return {Ready(IntAt(o, {"status", "readyReplicas"}), desired), age};
  if (kind == "DaemonSet")
    return {std::to_string(IntAt(o, {"status", "desiredNumberScheduled"})),
            std::to_string(IntAt(o, {"status", "currentNumberScheduled"})),
            std::to_string(IntAt(o, {"status", "numberReady"})),
            std::to_string(IntAt(o, {"status", "updatedNumberScheduled"})), age};
  if (kind == "Job")
    return {Ready(IntAt(o, {"status", "succeeded"}), IntAt(o, {"spec", "completions"}, 1)), age};
  if (kind == "Node") {
    std::string status = "Unknown";
    const OJson& conds = At(o, {"status", "conditions"});
    if (conds.is_array())
      for (const auto& c : conds)
        if (c.is_object() && c.value("type", "") == "Ready") status = c.value("status", "") == "True" ? "Ready" : "NotReady";
    if (At(o, {"spec", "unschedulable"}) == OJson(true)) status += ",SchedulingDisabled";
    return {status, StrAt(o, {"status", "capacity", "cpu"}), StrAt(o, {"status", "capacity", "memory"}),
            StrAt(o, {"status", "capacity", "pods"}), age};
  }
  return {age};
}

int PrintObjects(const GetArgs& args, const std::string& kind, const std::vector<const v1::Object*>& objects,
                 bool single) {
  if (args.output == "json" || args.output == "yaml") {
    OJson out;
    if (single) {
      out = ObjectOf(*objects[0]);
    } else {
      out = OJson{{"apiVersion", "v1"}, {"kind", "List"}, {"items", OJson::array()}};
      for (const auto* o : objects) out["items"].push_back(ObjectOf(*o));
    }
    std::cout << (args.output == "json" ? out.dump(2) + "\n" : ToYaml(out));
    return kExitOk;
  }
  if (objects.empty()) {
    std::cerr << "No resources found" << (args.all_namespaces ? "" : " in " + args.ns + " namespace") << ".\n";
    return kExitOk;
  }
  const bool wide = args.output == "wide";
  const bool show_ns = args.all_namespaces && kind != "Node" && kind != "Namespace";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  if (show_ns) header.push_back("NAMESPACE");
  header.push_back("NAME");
  for (auto& h : Header(kind, wide)) header.push_back(h);
  rows.push_back(std::move(header));
  for (const auto* o : objects) {
    std::vector<std::string> row;
    if (show_ns) row.push_back(o->namespace_());
    row.push_back(o->name());
    for (auto& v : Row(kind, ObjectOf(*o), wide)) row.push_back(std::move(v));
    rows.push_back(std::move(row));
  }
  PrintTable(rows);
  return kExitOk;
}

int RunGet(const GetArgs& args) {
  auto info = ResolveKind(args.kind);
  if (!info) {
    std::cerr << "gorch: error: unknown kind \"" << args.kind << "\"; known: " << KnownKinds() << "\n";
    return kExitError;
  }
  auto client = ConnectServer(args.server);
  if (!client.ok()) {
    std::cerr << "gorch: error: --server: " << client.status().message() << "\n";
    return kExitError;
  }
  const std::string ns = info->namespaced ? args.ns : "";
  if (!args.name.empty()) {
    auto got = (*client)->Get(info->kind, ns, args.name);
    if (!got.ok()) {
      std::cerr << "gorch: error: " << got.status().message() << "\n";
      return kExitError;
    }
    return PrintObjects(args, info->kind, {&got->object()}, true);
  }
  v1::ListRequest req;
  req.set_kind(info->kind);
  req.set_namespace_(ns);
  req.set_all_namespaces(args.all_namespaces || !info->namespaced);
  req.set_label_selector(args.selector);
  auto list = (*client)->List(req);
  if (!list.ok()) {
    std::cerr << "gorch: error: " << list.status().message() << "\n";
    return kExitError;
  }
  std::vector<const v1::Object*> objects;
  for (const auto& o : list->objects()) objects.push_back(&o);
  return PrintObjects(args, info->kind, objects, false);
}

void AddGetCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<GetArgs>();
  CLI::App* cmd = app.add_subcommand("get", "List objects of a kind (or one object) from `gorch server`");
  cmd->footer(
      "KIND is a kind or its plural or short name: pods (po), deployments (deploy), statefulsets (sts),\n"
      "daemonsets (ds), jobs, replicasets (rs), services (svc), configmaps (cm), nodes (no), ...\n"
      "The server is --server or $GORCH_SERVER (default 127.0.0.1:7420).\n"
      "Examples:\n"
      "  gorch get pods -n shop -o wide\n"
      "  gorch get deploy -A -l app=web\n"
      "  gorch get deployment web -n shop -o yaml");
  cmd->add_option("KIND", args->kind, "Kind of object")->required();
  cmd->add_option("NAME", args->name, "One object's name");
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  auto* ns = cmd->add_option("-n,--namespace", args->ns, "Namespace")->capture_default_str();
  cmd->add_flag("-A,--all-namespaces", args->all_namespaces, "Every namespace")->excludes(ns);
  cmd->add_option("-l,--selector", args->selector, "Label selector: k=v,k!=v,k,!k");
  cmd->add_option("-o,--output", args->output, "Output format")->check(CLI::IsMember({"wide", "json", "yaml"}));
  cmd->callback([args, &state] { state.exit_code = RunGet(*args); });
}

const bool registered = RegisterCommand("get", &AddGetCommand);

}  // namespace
}  // namespace gorch::cli
