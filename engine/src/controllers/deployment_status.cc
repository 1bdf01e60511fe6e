// A Deployment's status (/gorch/status/Deployment/<ns>/<name>), its progress
// deadline and the automatic rollback to the last good revision.
//
// Progress is "something moved": the target template, the number of updated pods,
// of available updated pods, or of old pods changed. When nothing moved for
// progressDeadlineSeconds (default 600) during a rollout, the rollout is failed
// (condition Progressing=False, reason ProgressDeadlineExceeded, a Warning event)
// and, unless the annotation gorch.dev/auto-rollback is "false", the rollout
// override is written to roll back to the last revision that completed.
#include "controllers/internal.h"

namespace gorch::engine::ctrl {

Status UpdateDeploymentStatus(Context& ctx, const std::string& ns, const std::string& name, const Json& deploy_object,
                              const std::string& applied_hash, const std::string& hash, int64_t revision,
                              const std::vector<std::pair<std::string, std::vector<const PodView*>>>& rs_pods,
                              const std::string& new_rs, bool paused, bool complete,
                              std::optional<int64_t>* wait_ms) {
  const int64_t now = ctx.Now();
  const Json& spec = At(deploy_object, "spec");
  const int32_t min_ready = static_cast<int32_t>(IntAt(spec, "minReadySeconds", 0));
  const int64_t desired = IntAt(spec, "replicas", 1);
  const std::string skey = StatusKey("Deployment", ns, name);
  const Obj* prev_obj = ctx.cache().Get(skey);
  const Json prev = prev_obj && prev_obj->value.is_object() ? prev_obj->value : Json::object();

  int64_t total = 0, updated = 0, ready = 0, available = 0, new_available = 0, old_count = 0;
  for (const auto& [rs, pods] : rs_pods) {
    for (const PodView* p : pods) {
      ++total;
      const bool avail = Available(*p, min_ready, now, wait_ms);
      ready += p->ready;
      available += avail;
      if (rs == new_rs) {
        ++updated;
        new_available += avail;
      } else {
        ++old_count;
      }
    }
  }
  Json st = prev;
  st["observedAppliedHash"] = applied_hash;
  st["revision"] = revision;
  st["currentTemplateHash"] = hash;
  st["replicas"] = total;
  st["updatedReplicas"] = updated;
  st["readyReplicas"] = ready;
  st["availableReplicas"] = available;
  st["unavailableReplicas"] = std::max<int64_t>(0, desired - available);
  st["paused"] = paused;
  const std::string progress_key = hash + "/" + std::to_string(updated) + "/" + std::to_string(new_available) + "/" +
                                   std::to_string(old_count);
  if (StringAt(prev, "progressKey") != progress_key || At(prev, "paused") != Json(paused)) {
    st["progressKey"] = progress_key;
    st["progressMillis"] = now;
  }
  const Json& rolled = At(prev, "rolledBack");
  if (rolled.is_object() && StringAt(rolled, "appliedHash") != applied_hash) st.erase("rolledBack");

  Json& conds = st["conditions"];
  SetCondition(&conds, "Available", available >= desired ? "True" : "False",
               available >= desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
               std::to_string(available) + "/" + std::to_string(desired) + " available", now);
  const int64_t deadline_ms = IntAt(spec, "progressDeadlineSeconds", 600) * 1000;
  const int64_t since = IntAt(st, "progressMillis", now);
  ObjectRef ref{"Deployment", ns, name};
  if (complete) {
    SetCondition(&conds, "Progressing", "True", "NewReplicaSetAvailable",
                 "replica set " + new_rs + " has successfully progressed", now);
    st["lastGoodTemplateHash"] = hash;
    st["lastGoodRevision"] = revision;
    if (StringAt(At(st, "rollout"), "templateHash") == hash)  // done: the waves taken are all it took
      st["rollout"]["waves"] = IntAt(st["rollout"], "wave", 0);
  } else if (paused) {
    SetCondition(&conds, "Progressing", "Unknown", "DeploymentPaused", "deployment is paused", now);
  } else if (now - since > deadline_ms) {
    const bool already = StringAt(prev, "failedTemplateHash") == hash;
    SetCondition(&conds, "Progressing", "False", "ProgressDeadlineExceeded",
                 "replica set " + new_rs + " has timed out progressing", now);
    st["failedTemplateHash"] = hash;
    if (!already) {
      (void)ctx.Event(ref, EventType::kWarning, "ProgressDeadlineExceeded",
                      "rollout of revision " + std::to_string(revision) + " made no progress for " +
                          std::to_string(deadline_ms / 1000) + "s");
      const std::string good = StringAt(prev, "lastGoodTemplateHash");
      const bool auto_rollback =
          StringAt(At(At(deploy_object, "metadata"), "annotations"), kAutoRollbackAnnotation) != "false";
      if (auto_rollback && !good.empty() && good != hash) {
        const std::string okey = RolloutOverrideKey(ns, name);
        const Obj* o = ctx.cache().Get(okey);
        Json value = o && o->value.is_object() ? o->value : Json::object();
        const int64_t to = IntAt(prev, "lastGoodRevision", 0);
        value["appliedHash"] = applied_hash;
        value["rollbackTo"] = {{"revision", to}, {"templateHash", good}, {"reason", "ProgressDeadlineExceeded"}};
        st["rolledBack"] = {{"appliedHash", applied_hash},
                            {"fromRevision", revision},
                            {"fromTemplateHash", hash},
                            {"toRevision", to},
                            {"toTemplateHash", good},
                            {"time", Rfc3339(now)}};
        GORCH_RETURN_IF_ERROR(ctx.CommitOrAbort({{okey, value, o ? o->mod_revision : 0}}));
        (void)ctx.Event(ref, EventType::kWarning, "RolledBack",
                        "rolled back from revision " + std::to_string(revision) + " to revision " +
                            std::to_string(to) + " (last good)");
      }
    }
  } else {
    SetCondition(&conds, "Progressing", "True", "ReplicaSetUpdated",
                 "replica set " + new_rs + " is progressing", now);
    const int64_t left = since + deadline_ms - now + 1;
    if (!*wait_ms || **wait_ms > left) *wait_ms = left;
  }
  return WriteStatus(ctx, "Deployment", ns, name, st);
}

}  // namespace gorch::engine::ctrl
