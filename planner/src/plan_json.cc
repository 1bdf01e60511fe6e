// The plan file: versioned JSON that reads back to an identical Plan.
#include <cstdlib>

#include "gorch/planner/plan.h"
#include "gorch/planner/value_json.h"

namespace gorch::planner {

using lang::Value;

namespace {

std::string Q(const std::string& s) { return Value::String(s).ToJson(); }

std::string Strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + Q(v[i]);
  return out + "]";
}

std::string Str(const Value& v, std::string_view key) {
  const Value* f = v.Find(key);
  return f && f->is_string() ? f->as_string() : std::string();
}

int64_t Int(const Value& v, std::string_view key) {
  const Value* f = v.Find(key);
  return f && f->is_int() ? f->as_int() : 0;
}

std::vector<std::string> StringList(const Value& v, std::string_view key) {
  std::vector<std::string> out;
  if (const Value* l = v.Find(key); l && l->is_list())
    for (const Value& e : l->as_list()) out.push_back(e.is_string() ? e.as_string() : e.ToJson());
  return out;
}

// "file:line:col" back into a SourcePos (the file may itself hold ':').
lang::SourcePos ParsePos(const std::string& text) {
  lang::SourcePos pos;
  std::string rest = text;
  uint32_t nums[2] = {0, 0};
  int found = 0;
  for (int i = 0; i < 2; ++i) {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) break;
    std::string tail = rest.substr(colon + 1);
    if (tail.empty() || tail.find_first_not_of("0123456789") != std::string::npos) break;
    nums[i] = static_cast<uint32_t>(std::strtoul(tail.c_str(), nullptr, 10));
    rest = rest.substr(0, colon);
    ++found;
  }
  pos.file = lang::InternFileName(rest);
  if (found == 2) { pos.line = nums[1]; pos.col = nums[0]; }
  else if (found == 1) pos.line = nums[0];
  return pos;
}

Result<Action> ParseAction(const std::string& name) {
  for (Action a : {Action::kCreate, Action::kUpdate, Action::kDelete, Action::kNoOp, Action::kOrphan})
    if (ActionName(a) == name) return a;
  return Status::InvalidArgument("unknown action \"" + name + "\"");
}

Result<WaitKind> ParseWaitKind(const std::string& name) {
  for (WaitKind k : {WaitKind::kReady, WaitKind::kTerminated, WaitKind::kCompleted})
    if (WaitKindName(k) == name) return k;
  return Status::InvalidArgument("unknown wait kind \"" + name + "\"");
}

}  // namespace

std::string Plan::ToJson() const {
  std::string out = "{\"formatVersion\":" + std::to_string(format_version) +
                    ",\"baseRevision\":" + std::to_string(base_revision) + ",\"desiredHash\":" + Q(desired_hash) +
                    ",\"commit\":" + Q(commit) + ",\"source\":" + Q(source) +
                    (owner.empty() ? "" : ",\"owner\":" + Q(owner)) + ",\"summary\":{" +
                    "\"create\":" + std::to_string(summary.create) + ",\"update\":" + std::to_string(summary.update) +
                    ",\"delete\":" + std::to_string(summary.remove) + ",\"noOp\":" + std::to_string(summary.no_op) +
                    ",\"orphan\":" + std::to_string(summary.orphan) +
                    ",\"podsPlaced\":" + std::to_string(summary.pods_placed) +
                    ",\"podsUnschedulable\":" + std::to_string(summary.pods_unschedulable) + "},\"steps\":[";
  for (size_t i = 0; i < steps.size(); ++i) {
    const PlanStep& s = steps[i];
    const ResourceChange& c = s.change;
    out += (i ? ",{" : "{");
    out += "\"action\":" + Q(std::string(ActionName(c.action))) + ",\"kind\":" + Q(c.id.kind) +
           ",\"namespace\":" + Q(c.id.namespace_) + ",\"name\":" + Q(c.id.name) +
           ",\"apiVersion\":" + Q(c.api_version) + ",\"source\":" + Q(c.pos.ToString()) +
           ",\"strategy\":" + Q(s.strategy) + ",\"hash\":" + Q(s.content_hash);
    if (s.object) out += ",\"object\":" + s.object->ToJson();
    out += ",\"fields\":[";
    for (size_t j = 0; j < c.fields.size(); ++j) {
      const FieldChange& f = c.fields[j];
      out += (j ? ",{" : "{");
      out += "\"path\":" + Q(f.path);
      if (f.before) out += ",\"before\":" + f.before->ToJson();
      if (f.after) out += ",\"after\":" + f.after->ToJson();
      out += "}";
    }
    out += "],\"placements\":[";
    for (size_t j = 0; j < s.placements.size(); ++j) {
      const PodPlacement& p = s.placements[j];
      out += (j ? "," : "") + std::string("{\"pod\":") + Q(p.pod) + ",\"node\":" + Q(p.node) +
             ",\"reason\":" + Q(p.reason) + "}";
    }
    out += "],\"waves\":[";
    for (size_t j = 0; j < s.waves.size(); ++j) {
      const RolloutWave& w = s.waves[j];
      out += (j ? "," : "") + std::string("{\"add\":") + Strings(w.added) + ",\"remove\":" + Strings(w.removed) +
             ",\"waitFor\":[";
      for (size_t k = 0; k < w.waits.size(); ++k) {
        const WaitFor& wf = w.waits[k];
        out += (k ? "," : "") + std::string("{\"kind\":") + Q(std::string(WaitKindName(wf.kind))) +
               ",\"pods\":" + Strings(wf.pods) + ",\"minReadySeconds\":" + std::to_string(wf.min_ready_seconds) + "}";
      }
      out += "]}";
    }
    out += "]}";
  }
  return out + "]}";
}

Result<Plan> Plan::FromJson(std::string_view json, std::string_view file_name) {
  auto parsed = ParseJsonValue(json, file_name);
  if (!parsed.ok()) return parsed.status();
  const Value& root = *parsed;
  std::string where(file_name);
  if (!root.is_map() || !root.Find("formatVersion"))
    return Status::InvalidArgument(where + ": not a gorch plan file (no formatVersion)");
  Plan plan;
  plan.format_version = static_cast<int>(Int(root, "formatVersion"));
  if (plan.format_version != kPlanFormatVersion)
    return Status::InvalidArgument(where + ": plan format version " + std::to_string(plan.format_version) +
                                   " is not supported (this gorch reads version " +
                                   std::to_string(kPlanFormatVersion) + ")");
  plan.base_revision = Int(root, "baseRevision");
  plan.desired_hash = Str(root, "desiredHash");
  plan.commit = Str(root, "commit");
  plan.source = Str(root, "source");
  plan.owner = Str(root, "owner");
  if (const Value* s = root.Find("summary")) {
    plan.summary = {static_cast<int>(Int(*s, "create")), static_cast<int>(Int(*s, "update")),
                    static_cast<int>(Int(*s, "delete")), static_cast<int>(Int(*s, "noOp")),
                    static_cast<int>(Int(*s, "orphan")), static_cast<int>(Int(*s, "podsPlaced")),
                    static_cast<int>(Int(*s, "podsUnschedulable"))};
  }
  const Value* steps = root.Find("steps");
  if (!steps || !steps->is_list()) return Status::InvalidArgument(where + ": \"steps\" must be a list");
  for (const Value& sv : steps->as_list()) {
    PlanStep step;
    auto action = ParseAction(Str(sv, "action"));
    if (!action.ok()) return Status::InvalidArgument(where + ": " + action.status().message());
    step.change.action = *action;
    step.change.id = {Str(sv, "kind"), Str(sv, "namespace"), Str(sv, "name")};
    step.change.api_version = Str(sv, "apiVersion");
    std::string src = Str(sv, "source");
    if (!src.empty()) step.change.pos = ParsePos(src);
    step.strategy = Str(sv, "strategy");
    step.content_hash = Str(sv, "hash");
    if (const Value* o = sv.Find("object")) step.object = *o;
    if (const Value* fields = sv.Find("fields"); fields && fields->is_list()) {
      for (const Value& fv : fields->as_list()) {
        FieldChange f{Str(fv, "path"), std::nullopt, std::nullopt};
        if (const Value* b = fv.Find("before")) f.before = *b;
        if (const Value* a = fv.Find("after")) f.after = *a;
        step.change.fields.push_back(std::move(f));
      }
    }
    if (const Value* ps = sv.Find("placements"); ps && ps->is_list())
      for (const Value& pv : ps->as_list()) step.placements.push_back({Str(pv, "pod"), Str(pv, "node"), Str(pv, "reason")});
    if (const Value* ws = sv.Find("waves"); ws && ws->is_list()) {
      for (const Value& wv : ws->as_list()) {
        RolloutWave w{StringList(wv, "add"), StringList(wv, "remove"), {}};
        if (const Value* waits = wv.Find("waitFor"); waits && waits->is_list()) {
          for (const Value& x : waits->as_list()) {
            auto kind = ParseWaitKind(Str(x, "kind"));
            if (!kind.ok()) return Status::InvalidArgument(where + ": " + kind.status().message());
            w.waits.push_back({*kind, StringList(x, "pods"), static_cast<int32_t>(Int(x, "minReadySeconds"))});
          }
        }
        step.waves.push_back(std::move(w));
      }
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace gorch::planner
