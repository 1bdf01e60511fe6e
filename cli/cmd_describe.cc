// gorch describe: one object in detail: identity, labels, spec, status, events.
#include <iostream>

#include "commands.h"
#include "output.h"
#include "remote.h"

namespace gorch::cli {

void PrintEventTable(const google::protobuf::RepeatedPtrField<v1::Object>& events, bool show_ns);  // cmd_events.cc

namespace {

struct DescribeArgs {
  std::string server = DefaultServerAddress();
  std::string kind;
  std::string name;
  std::string ns = "default";
};

std::string MapLine(const OJson& m) {
  if (!m.is_object() || m.empty()) return "<none>";
  std::string out;
  for (auto it = m.begin(); it != m.end(); ++it)
    out += (out.empty() ? "" : ", ") + it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  return out;
}

int RunDescribe(const DescribeArgs& args) {
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
  auto got = (*client)->Get(info->kind, ns, args.name);
  if (!got.ok()) {
    std::cerr << "gorch: error: " << got.status().message() << "\n";
    return kExitError;
  }
  OJson o = ObjectOf(got->object());
  OJson env = OJson::parse(got->object().json(), nullptr, false);
  std::cout << "Name:         " << args.name << "\n";
  if (info->namespaced) std::cout << "Namespace:    " << ns << "\n";
  std::cout << "Kind:         " << info->kind << "\n";
  std::cout << "Labels:       " << MapLine(At(o, {"metadata", "labels"})) << "\n";
  std::cout << "Annotations:  " << MapLine(At(o, {"metadata", "annotations"})) << "\n";
  const OJson& owners = At(o, {"metadata", "ownerReferences"});
  if (owners.is_array() && !owners.empty())
    std::cout << "Controlled By: " << StrAt(owners[0], {"kind"}) << "/" << StrAt(owners[0], {"name"}) << "\n";
  if (env.is_object() && env.contains("managed"))
    std::cout << "Managed:      " << (env.value("managed", false) ? "yes (applied from git)" : "no (made by a controller)")
              << "\n";
  std::cout << "Revision:     " << got->object().mod_revision() << " (created at " << got->object().create_revision()
            << ")\n";
  if (!At(o, {"spec"}).is_null()) std::cout << "Spec:\n" << ToYaml(At(o, {"spec"}), 2);
  if (!At(o, {"status"}).is_null()) std::cout << "Status:\n" << ToYaml(At(o, {"status"}), 2);
  v1::ListEventsRequest req;
  req.set_namespace_(info->namespaced ? ns : "");
  req.set_all_namespaces(!info->namespaced);
  req.set_involved_kind(info->kind);
  req.set_involved_name(args.name);
  auto events = (*client)->ListEvents(req);
  std::cout << "Events:";
  if (!events.ok() || events->events().empty()) {
    std::cout << "       <none>\n";
  } else {
    std::cout << "\n";
    PrintEventTable(events->events(), false);
  }
  return kExitOk;
}

void AddDescribeCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<DescribeArgs>();
  CLI::App* cmd = app.add_subcommand("describe", "Show one object in detail, with its status and events");
  cmd->footer("Examples:\n  gorch describe deployment web -n shop\n  gorch describe node n1");
  cmd->add_option("KIND", args->kind, "Kind of object (pods, deployments, nodes, ...)")->required();
  cmd->add_option("NAME", args->name, "The object's name")->required();
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  cmd->add_option("-n,--namespace", args->ns, "Namespace")->capture_default_str();
  cmd->callback([args, &state] { state.exit_code = RunDescribe(*args); });
}

const bool registered = RegisterCommand("describe", &AddDescribeCommand);

}  // namespace
}  // namespace gorch::cli
