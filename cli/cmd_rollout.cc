// gorch rollout status|undo|pause|resume|history KIND/NAME: a Deployment's rollout
// as the server sees it. status polls the Deployment's controller-written status;
// the other verbs call the server's rollout RPCs, which write the rollout override
// (docs/controllers.md), never the Deployment itself (that is git's).
#include <chrono>
#include <iostream>
#include <thread>

#include "commands.h"
#include "output.h"
#include "remote.h"

namespace gorch::cli {
namespace {

struct RolloutArgs {
  std::string server = DefaultServerAddress();
  std::string ns = "default";
  std::string target;  // KIND/NAME
  int64_t to_revision = 0;
  int timeout_seconds = 300;
};

// "deployment/web" -> a Deployment target in args.ns; InvalidArgument otherwise.
Result<v1::RolloutTarget> ParseTarget(const RolloutArgs& args) {
  size_t slash = args.target.find('/');
  auto info = slash == std::string::npos ? std::nullopt : ResolveKind(args.target.substr(0, slash));
  if (!info || slash + 1 >= args.target.size())
    return Status::InvalidArgument(args.target + ": expected KIND/NAME, e.g. deployment/web");
  if (info->kind != "Deployment")
    return Status::InvalidArgument(args.target + ": only Deployments have rollouts (revisions) in gorch");
  v1::RolloutTarget t;
  t.set_kind(info->kind);
  t.set_namespace_(args.ns);
  t.set_name(args.target.substr(slash + 1));
  return t;
}

int Fail(const Status& s) {
  std::cerr << "gorch: error: " << s.message() << "\n";
  return kExitError;
}

enum class Progress { kWaiting, kDone, kFailed };

bool HasCondition(const OJson& status, const char* type, const char* value, const char* reason) {
  const OJson& conds = At(status, {"conditions"});
  if (!conds.is_array()) return false;
  for (const auto& c : conds)
    if (StrAt(c, {"type"}) == type && StrAt(c, {"status"}) == value && StrAt(c, {"reason"}) == reason) return true;
  return false;
}

// The Deployment's progress, in kubectl's words, from its envelope and status.
Progress Judge(const v1::Object& o, std::string* line) {
  OJson env = OJson::parse(o.json(), nullptr, false);
  OJson st = OJson::parse(o.status_json().empty() ? "{}" : o.status_json(), nullptr, false);
  const std::string name = "deployment \"" + o.name() + "\"";
  const std::string applied = StrAt(env, {"appliedHash"});
  const int64_t desired = IntAt(env, {"object", "spec", "replicas"}, 1);
  const int64_t updated = IntAt(st, {"updatedReplicas"}), available = IntAt(st, {"availableReplicas"});
  const int64_t total = IntAt(st, {"replicas"}), revision = IntAt(st, {"revision"});
  std::string wave = " (revision " + std::to_string(revision) + ", " + std::to_string(IntAt(st, {"readyReplicas"})) +
                     "/" + std::to_string(desired) + " ready";
  if (StrAt(st, {"rollout", "templateHash"}) == StrAt(st, {"currentTemplateHash"}) &&
      IntAt(st, {"rollout", "waves"}) > 0)
    wave += ", wave " + std::to_string(IntAt(st, {"rollout", "wave"})) + "/" +
            std::to_string(IntAt(st, {"rollout", "waves"}));
  wave += ")";
  if (StrAt(st, {"rolledBack", "appliedHash"}) == applied && !applied.empty()) {
    *line = name + " was rolled back from revision " + std::to_string(IntAt(st, {"rolledBack", "fromRevision"})) +
            " to revision " + std::to_string(IntAt(st, {"rolledBack", "toRevision"})) + ": its rollout failed";
    return Progress::kFailed;
  }
  if (HasCondition(st, "Progressing", "False", "ProgressDeadlineExceeded")) {
    *line = name + " exceeded its progress deadline" + wave;
    return Progress::kFailed;
  }
  if (StrAt(st, {"observedAppliedHash"}) != applied) {
    *line = "Waiting for " + name + " spec update to be observed...";
  } else if (At(st, {"paused"}) == true) {
    *line = name + " rollout is paused" + wave + "; `gorch rollout resume` continues it";
  } else if (updated < desired) {
    *line = "Waiting for " + name + " rollout to finish: " + std::to_string(updated) + " out of " +
            std::to_string(desired) + " new replicas have been updated" + wave + "...";
  } else if (total > updated) {
    *line = "Waiting for " + name + " rollout to finish: " + std::to_string(total - updated) +
            " old replicas are pending termination" + wave + "...";
  } else if (available < updated) {
    *line = "Waiting for " + name + " rollout to finish: " + std::to_string(available) + " of " +
            std::to_string(updated) + " updated replicas are available" + wave + "...";
  } else {
    *line = name + " successfully rolled out" + wave;
    return Progress::kDone;
  }
  return Progress::kWaiting;
}

int RunStatus(engine::GorchClient& client, const v1::RolloutTarget& t, int timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  std::string last;
  while (true) {
    auto got = client.Get(t.kind(), t.namespace_(), t.name());
    if (!got.ok()) return Fail(got.status());
    std::string line;
    Progress p = Judge(got->object(), &line);
    if (p == Progress::kDone) {
      // A rollback just requested (rollout undo) shows in the status only once the
      // controller acts on it: until then the status is the previous revision's.
      auto history = client.RolloutHistory(t);
      if (!history.ok()) return Fail(history.status());
      OJson st = OJson::parse(got->object().status_json().empty() ? "{}" : got->object().status_json(), nullptr, false);
      if (!history->rollback_template_hash().empty() &&
          history->rollback_template_hash() != StrAt(st, {"currentTemplateHash"})) {
        p = Progress::kWaiting;
        line = "Waiting for deployment \"" + t.name() + "\" rollback to be observed...";
      }
    }
    if (line != last) std::cout << line << "\n" << std::flush;
    last = line;
    if (p == Progress::kDone) return kExitOk;
    if (p == Progress::kFailed) return kExitError;
    if (std::chrono::steady_clock::now() >= deadline)
      return Fail(Status::Unavailable("timed out after " + std::to_string(timeout_seconds) +
                                      "s waiting for the rollout of deployment \"" + t.name() + "\""));
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int RunHistory(engine::GorchClient& client, const v1::RolloutTarget& t) {
  auto history = client.RolloutHistory(t);
  if (!history.ok()) return Fail(history.status());
  std::cout << "deployment \"" << t.name() << "\"\n";
  std::vector<std::vector<std::string>> rows = {{"REVISION", "REPLICASET", "REPLICAS", "CURRENT", "CHANGE-CAUSE"}};
  for (const auto& r : history->revisions())
    rows.push_back({std::to_string(r.revision()), r.replica_set(), std::to_string(r.replicas()),
                    r.current() ? "*" : "", r.change_cause().empty() ? "<none>" : r.change_cause()});
  PrintTable(rows);
  return kExitOk;
}

int RunRollout(const std::string& verb, const RolloutArgs& args) {
  auto target = ParseTarget(args);
  if (!target.ok()) return Fail(target.status());
  auto client = ConnectServer(args.server);
  if (!client.ok()) return Fail(Status::InvalidArgument("--server: " + client.status().message()));
  if (verb == "status") return RunStatus(**client, *target, args.timeout_seconds);
  if (verb == "history") return RunHistory(**client, *target);
  const std::string name = "deployment \"" + target->name() + "\"";
  if (verb == "undo") {
    auto to = (*client)->RolloutUndo(*target, args.to_revision);
    if (!to.ok()) return Fail(to.status());
    std::cout << name << " rolled back to revision " << *to << "\n";
    return kExitOk;
  }
  const bool pause = verb == "pause";
  if (Status s = (*client)->RolloutPause(*target, pause); !s.ok()) return Fail(s);
  std::cout << name << (pause ? " paused" : " resumed") << "\n";
  return kExitOk;
}

void AddRolloutCommand(CLI::App& app, RunState& state) {
  CLI::App* cmd = app.add_subcommand("rollout", "Manage a Deployment's rollout: status, history, undo, pause, resume");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n  gorch rollout status deployment/web -n shop\n  gorch rollout history deployment/web -n shop\n"
      "  gorch rollout undo deployment/web -n shop --to-revision 1\n  gorch rollout pause deployment/web -n shop");
  const std::pair<const char*, const char*> verbs[] = {
      {"status", "Wait for the rollout to finish, printing its progress; exit 1 if it fails or is rolled back"},
      {"history", "List the Deployment's revisions (its ReplicaSets)"},
      {"undo", "Roll back to the previous revision (or --to-revision N)"},
      {"pause", "Pause the rollout: no new revision, no further step, until resumed"},
      {"resume", "Resume a paused rollout"}};
  for (const auto& [verb_name, help] : verbs) {
    auto args = std::make_shared<RolloutArgs>();
    std::string verb = verb_name;
    CLI::App* sub = cmd->add_subcommand(verb, help);
    sub->add_option("target", args->target, "KIND/NAME, e.g. deployment/web")->required();
    sub->add_option("--server", args->server, "Address of `gorch server` (HOST:PORT)")->capture_default_str();
    sub->add_option("-n,--namespace", args->ns, "Namespace")->capture_default_str();
    if (verb == "undo")
      sub->add_option("--to-revision", args->to_revision, "The revision to go back to (0: the previous one)")
          ->check(CLI::NonNegativeNumber);
    if (verb == "status")
      sub->add_option("--timeout", args->timeout_seconds, "Give up (exit 1) after this many seconds")
          ->check(CLI::PositiveNumber)
          ->capture_default_str();
    sub->callback([args, verb, &state] { state.exit_code = RunRollout(verb, *args); });
  }
}

const bool registered = RegisterCommand("rollout", &AddRolloutCommand);

}  // namespace
}  // namespace gorch::cli
