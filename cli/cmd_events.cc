// gorch events: what happened, to what, why (events kept by the server).
#include <iostream>

#include "commands.h"
#include "output.h"
#include "remote.h"

namespace gorch::cli {

// Prints events as LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (shared with describe).
void PrintEventTable(const google::protobuf::RepeatedPtrField<v1::Object>& events, bool show_ns) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"};
  if (show_ns) header.insert(header.begin(), "NAMESPACE");
  rows.push_back(header);
  for (const auto& e : events) {
    OJson o = ObjectOf(e);
    std::string count = IntAt(o, {"count"}, 1) > 1 ? " (x" + std::to_string(IntAt(o, {"count"})) + ")" : "";
    std::vector<std::string> row = {
        Age(StrAt(o, {"lastTimestamp"}, StrAt(o, {"firstTimestamp"}))) + count, StrAt(o, {"type"}, "Normal"),
        StrAt(o, {"reason"}),
        StrAt(o, {"involvedObject", "kind"}) + "/" + StrAt(o, {"involvedObject", "name"}), StrAt(o, {"message"})};
    if (show_ns) row.insert(row.begin(), e.namespace_());
    rows.push_back(std::move(row));
  }
  PrintTable(rows);
}

namespace {

struct EventsArgs {
  std::string server = DefaultServerAddress();
  std::string ns = "default";
  bool all_namespaces = false;
  std::string for_object;  // KIND/NAME
  int limit = 0;
};

int RunEvents(const EventsArgs& args) {
  auto client = ConnectServer(args.server);
  if (!client.ok()) {
    std::cerr << "gorch: error: --server: " << client.status().message() << "\n";
    return kExitError;
  }
  v1::ListEventsRequest req;
  req.set_namespace_(args.ns);
  req.set_all_namespaces(args.all_namespaces);
  req.set_limit(args.limit);
  if (!args.for_object.empty()) {
    size_t slash = args.for_object.find('/');
    auto info = ResolveKind(args.for_object.substr(0, slash));
    if (slash == std::string::npos || !info) {
      std::cerr << "gorch: error: --for " << args.for_object << ": expected KIND/NAME, e.g. deployment/web\n";
      return kExitError;
    }
    req.set_involved_kind(info->kind);
    req.set_involved_name(args.for_object.substr(slash + 1));
  }
  auto events = (*client)->ListEvents(req);
  if (!events.ok()) {
    std::cerr << "gorch: error: " << events.status().message() << "\n";
    return kExitError;
  }
  if (events->events().empty()) {
    std::cerr << "No events found" << (args.all_namespaces ? "" : " in " + args.ns + " namespace") << ".\n";
    return kExitOk;
  }
  PrintEventTable(events->events(), args.all_namespaces);
  return kExitOk;
}

void AddEventsCommand(CLI::App& app, RunState& state) {
  auto args = std::make_shared<EventsArgs>();
  CLI::App* cmd = app.add_subcommand("events", "List events (what happened, to what, why), oldest first");
  cmd->footer("Examples:\n  gorch events -n shop\n  gorch events -A --for deployment/web");
  cmd->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
  auto* ns = cmd->add_option("-n,--namespace", args->ns, "Namespace")->capture_default_str();
  cmd->add_flag("-A,--all-namespaces", args->all_namespaces, "Every namespace")->excludes(ns);
  cmd->add_option("--for", args->for_object, "Only events of this object: KIND/NAME");
  cmd->add_option("--limit", args->limit, "Only the newest N events")->check(CLI::NonNegativeNumber);
  cmd->callback([args, &state] { state.exit_code = RunEvents(*args); });
}

const bool registered = RegisterCommand("events", &AddEventsCommand);

}  // namespace
}  // namespace gorch::cli
