// The Job controller: planner::NextJobStep keeps min(parallelism, completions -
// succeeded) pods active and replaces failed ones; this controller enforces
// backoffLimit (default 6): more failed pods than that fails the Job (condition
// Failed, reason BackoffLimitExceeded, active pods deleted). Finished pods are kept
// as the Job's record. Status at /gorch/status/Job/<ns>/<name>: active, succeeded,
// failed, startTime, completionTime, conditions (Complete / Failed).
#include "controllers/internal.h"
#include "gorch/planner/rollout.h"

namespace gorch::engine::ctrl {

SyncResult SyncJob(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  const Obj* job = ctx.cache().Get(ObjectKey("Job", ns, name));
  if (!job) return {};
  const Json& spec = At(job->object(), "spec");
  const int64_t now = ctx.Now();
  const Obj* prev_obj = ctx.cache().Get(StatusKey("Job", ns, name));
  Json st = prev_obj && prev_obj->value.is_object() ? prev_obj->value : Json::object();
  bool finished = false;
  for (const Json& c : At(st, "conditions").is_array() ? At(st, "conditions") : Json::array()) {
    finished |= (StringAt(c, "type") == "Complete" || StringAt(c, "type") == "Failed") && StringAt(c, "status") == "True";
  }
  std::vector<planner::PodStatus> pods;
  std::vector<Mutation> writes;
  int64_t active = 0, succeeded = 0, failed = 0;
  std::vector<std::string> active_keys;
  for (auto& [pk, pobj] : OwnedPods(ctx.cache(), ns, "Job", name)) {
    PodView v = ViewPod(pk, *pobj);
    planner::PodStatus p;
    p.name = v.name;
    p.updated = true;
    p.ready = v.ready;
    p.available = v.ready;
    p.succeeded = v.phase == "Succeeded";
    p.failed = v.phase == "Failed";
    succeeded += p.succeeded;
    failed += p.failed;
    if (!v.terminal()) {
      ++active;
      active_keys.push_back(pk);
    }
    pods.push_back(std::move(p));
  }
  if (!st.contains("startTime")) st["startTime"] = Rfc3339(now);
  st["active"] = active;
  st["succeeded"] = succeeded;
  st["failed"] = failed;
  ObjectRef ref{"Job", ns, name};
  if (!finished) {
    const int64_t backoff_limit = IntAt(spec, "backoffLimit", 6);
    if (failed > backoff_limit) {
      for (const std::string& k : active_keys) writes.push_back({k, std::nullopt, ctx.cache().Get(k)->mod_revision});
      GORCH_RETURN_IF_ERROR(ctx.CommitOrAbort(writes));
      SetCondition(&st["conditions"], "Failed", "True", "BackoffLimitExceeded",
                   "job has reached the specified backoff limit", now);
      st["active"] = 0;
      (void)ctx.Event(ref, EventType::kWarning, "BackoffLimitExceeded",
                      std::to_string(failed) + " pods failed, backoffLimit " + std::to_string(backoff_limit));
      return {WriteStatus(ctx, "Job", ns, name, st)};
    }
    planner::JobRollout rollout;
    rollout.name = name;
    rollout.parallelism = static_cast<int32_t>(IntAt(spec, "parallelism", 1));
    rollout.completions = static_cast<int32_t>(IntAt(spec, "completions", -1));
    Result<planner::RolloutStep> step = planner::NextJobStep(rollout, pods);
    if (!step.ok()) return {step.status()};
    if (step->complete) {
      SetCondition(&st["conditions"], "Complete", "True", "Completed", "job completed", now);
      st["completionTime"] = Rfc3339(now);
      (void)ctx.Event(ref, EventType::kNormal, "Completed", "job completed");
    }
    Json tmpl = At(spec, "template");
    if (!At(tmpl, "spec").contains("restartPolicy")) tmpl["spec"]["restartPolicy"] = "Never";
    for (const planner::PodToCreate& c : step->create) {
      writes.push_back({ObjectKey("Pod", ns, c.name),
                        NewPod(ns, c.name, tmpl, "Job", "batch/v1", name, {{"job-name", name}}), 0});
      if (writes.size() >= 100) break;
    }
    for (const std::string& r : step->remove) {
      const std::string k = ObjectKey("Pod", ns, r);
      if (const Obj* o = ctx.cache().Get(k)) writes.push_back({k, std::nullopt, o->mod_revision});
    }
    if (!writes.empty()) return {ctx.CommitOrAbort(writes)};
  }
  return {WriteStatus(ctx, "Job", ns, name, st)};
}

}  // namespace gorch::engine::ctrl
