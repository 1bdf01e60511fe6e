// The Deployment controller: ReplicaSets as revision history, rolling updates
// through planner::NextDeploymentStep, progress deadline with automatic rollback,
// pause (spec.paused or the rollout override), revisionHistoryLimit.
//
// Pods belong to ReplicaSets; this controller only moves ReplicaSet replica counts.
// It sees each ReplicaSet's missing pods (spec.replicas above the pods that exist)
// as pods not ready yet, so a step is never taken twice while the ReplicaSet
// controller catches up. A removal names a pod: that pod is deleted and its
// ReplicaSet scaled down by one in the same transaction.
#include <algorithm>

#include "controllers/internal.h"
#include "gorch/planner/rollout.h"
#include "gorch/planner/workload_pods.h"

namespace gorch::engine::ctrl {
namespace {

struct RsInfo {
  std::string key, name, hash;
  const Obj* obj = nullptr;
  int64_t revision = 0;
  int32_t replicas = 0;
  std::vector<const PodView*> pods;  // memos in the cache: valid until the sync writes
};

int64_t RevisionOf(const Json& rs_object) {
  return std::atoll(StringAt(At(At(rs_object, "metadata"), "annotations"), kRevisionAnnotation).c_str());
}

Result<planner::IntOrPercent> ParseIntOrPercent(const Json& j, planner::IntOrPercent fallback) {
  if (j.is_number_integer()) return planner::IntOrPercent::Int(j.get<int32_t>());
  if (j.is_string()) return planner::IntOrPercent::Parse(j.get<std::string>());
  return fallback;
}

Result<planner::DeploymentRollout> RolloutSpec(const Json& spec, const std::string& new_rs) {
  planner::DeploymentRollout r;
  r.replicas = static_cast<int32_t>(IntAt(spec, "replicas", 1));
  r.min_ready_seconds = static_cast<int32_t>(IntAt(spec, "minReadySeconds", 0));
  r.new_pod_prefix = new_rs;
  const Json& strategy = At(spec, "strategy");
  if (StringAt(strategy, "type") == "Recreate") r.strategy = planner::DeploymentStrategy::kRecreate;
  const Json& ru = At(strategy, "rollingUpdate");
  auto surge = ParseIntOrPercent(At(ru, "maxSurge"), r.max_surge);
  if (!surge.ok()) return surge.status();
  auto unavailable = ParseIntOrPercent(At(ru, "maxUnavailable"), r.max_unavailable);
  if (!unavailable.ok()) return unavailable.status();
  r.max_surge = *surge;
  r.max_unavailable = *unavailable;
  return r;
}

Json NewReplicaSet(std::string_view ns, const std::string& deploy, const std::string& rs_name,
                   const std::string& hash, const Json& pod_template, int64_t revision) {
  Json tmpl = pod_template;
  tmpl["metadata"]["labels"][std::string(kPodTemplateHashLabel)] = hash;
  Json meta = {{"name", rs_name},
               {"namespace", ns},
               {"labels", tmpl["metadata"]["labels"]},
               {"annotations", {{std::string(kRevisionAnnotation), std::to_string(revision)}}},
               {"ownerReferences",
                Json::array({{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", deploy},
                              {"controller", true}}})}};
  Json object = {{"apiVersion", "apps/v1"},
                 {"kind", "ReplicaSet"},
                 {"metadata", meta},
                 {"spec", {{"replicas", 0}, {"template", tmpl}}}};
  return {{"apiVersion", "apps/v1"}, {"managed", false}, {"object", object}};
}

class DeploymentSync {
 public:
  DeploymentSync(Context& ctx, std::string ns, std::string name)
      : ctx_(ctx), ns_(std::move(ns)), name_(std::move(name)), now_(ctx.Now()) {}
  SyncResult Run();

 private:
  void LoadReplicaSets();
  Status ResolveTarget();
  Status EnsureNewReplicaSet(bool* wrote);
  Mutation CountWave(const planner::DeploymentRollout& spec, const std::vector<planner::PodStatus>& pods);
  bool Steady(const planner::DeploymentRollout& spec, planner::RolloutStep* step);
  Status TakeStep(const planner::DeploymentRollout& spec, planner::RolloutStep* step);
  Status UpdateStatus(bool complete);
  Status PruneHistory();

  Context& ctx_;
  std::string ns_, name_;
  int64_t now_;
  const Obj* deploy_ = nullptr;
  Json spec_;
  std::string applied_hash_;
  Json override_;
  int64_t override_rev_ = 0;
  Json pod_template_;
  std::string hash_;
  std::vector<RsInfo> rses_;
  RsInfo* new_rs_ = nullptr;
  bool paused_ = false;
  std::optional<int64_t> wait_ms_;
};

void DeploymentSync::LoadReplicaSets() {
  rses_.clear();
  for (auto& [key, obj] : ctx_.cache().List(ObjectKey("ReplicaSet", ns_, name_ + "-"))) {
    const Json& o = obj->object();
    if (!IsOwnedBy(o, "Deployment", name_)) continue;
    RsInfo rs;
    rs.key = key;
    rs.obj = obj;
    rs.name = StringAt(At(o, "metadata"), "name");
    rs.hash = StringAt(At(At(o, "metadata"), "labels"), kPodTemplateHashLabel);
    rs.revision = RevisionOf(o);
    rs.replicas = static_cast<int32_t>(IntAt(At(o, "spec"), "replicas", 0));
    for (auto& [pk, pobj] : OwnedPods(ctx_.cache(), ns_, "ReplicaSet", rs.name)) {
      const PodView& p = ViewPod(pk, *pobj);
      if (!p.terminal()) rs.pods.push_back(&p);
    }
    rses_.push_back(std::move(rs));
  }
  std::sort(rses_.begin(), rses_.end(), [](const RsInfo& a, const RsInfo& b) { return a.revision < b.revision; });
}

// The template to roll out: spec.template, or the rollback target while the
// override's rollbackTo is for the Deployment as applied now.
Status DeploymentSync::ResolveTarget() {
  const std::string okey = RolloutOverrideKey(ns_, name_);
  if (const Obj* o = ctx_.cache().Get(okey)) {
    override_ = o->value;
    override_rev_ = o->mod_revision;
  }
  paused_ = At(spec_, "paused") == Json(true) || At(override_, "paused") == Json(true);
  pod_template_ = At(spec_, "template");
  const Json& rb = At(override_, "rollbackTo");
  if (rb.is_object()) {
    if (StringAt(override_, "appliedHash") != applied_hash_) {
      Json next = override_;
      next.erase("rollbackTo");  // a newer apply supersedes the rollback
      GORCH_RETURN_IF_ERROR(ctx_.CommitOrAbort({{okey, next, override_rev_}}));
      override_ = next;
    } else {
      for (const RsInfo& rs : rses_) {
        if (rs.hash == StringAt(rb, "templateHash")) {
          pod_template_ = At(At(rs.obj->object(), "spec"), "template");
          pod_template_["metadata"]["labels"].erase(std::string(kPodTemplateHashLabel));
          if (pod_template_["metadata"]["labels"].empty()) pod_template_["metadata"].erase("labels");
        }
      }
    }
  }
  hash_ = planner::TemplateHash(ToValue(pod_template_));
  return Status::Ok();
}

// Makes the ReplicaSet of the target template exist and carry the highest revision.
Status DeploymentSync::EnsureNewReplicaSet(bool* wrote) {
  *wrote = false;
  int64_t max_rev = 0;
  for (RsInfo& rs : rses_) {
    max_rev = std::max(max_rev, rs.revision);
    if (rs.hash == hash_) new_rs_ = &rs;
  }
  if (new_rs_ && new_rs_->revision == max_rev) return Status::Ok();
  if (paused_) return Status::Ok();  // a paused Deployment starts no new revision
  const std::string rs_name = name_ + "-" + hash_;
  if (new_rs_) {  // an older revision comes back (rollback): it becomes the newest
    Json value = new_rs_->obj->value;
    value["object"]["metadata"]["annotations"][std::string(kRevisionAnnotation)] = std::to_string(max_rev + 1);
    GORCH_RETURN_IF_ERROR(ctx_.CommitOrAbort({{new_rs_->key, value, new_rs_->obj->mod_revision}}));
  } else {
    Json rs = NewReplicaSet(ns_, name_, rs_name, hash_, pod_template_, max_rev + 1);
    GORCH_RETURN_IF_ERROR(ctx_.CommitOrAbort({{ObjectKey("ReplicaSet", ns_, rs_name), rs, 0}}));
    ObjectRef ref{"Deployment", ns_, name_};
    (void)ctx_.Event(ref, EventType::kNormal, "ScalingReplicaSet",
                     "Created replica set " + rs_name + " (revision " + std::to_string(max_rev + 1) + ")");
  }
  *wrote = true;
  return Status::Ok();
}

// The steady state: every pod (and every pod yet to be created) is of the new
// revision and there are spec.replicas of them. NextDeploymentStep then takes no
// step, and the rollout is complete once all are available; this answers that
// without handing it every pod. False: not that state (or a spec the planner must
// judge), the planner decides.
bool DeploymentSync::Steady(const planner::DeploymentRollout& spec, planner::RolloutStep* step) {
  if (spec.strategy != planner::DeploymentStrategy::kRecreate) {  // fenceposts the planner would refuse
    const planner::IntOrPercent& surge = spec.max_surge;
    const planner::IntOrPercent& unavailable = spec.max_unavailable;
    if (surge.value < 0 || unavailable.value < 0 || (surge.value == 0 && unavailable.value == 0) ||
        (unavailable.percent && unavailable.value > 100))
      return false;
  }
  if (spec.replicas < 0 || spec.min_ready_seconds < 0) return false;
  int64_t updated = 0, available = 0;
  for (const RsInfo& rs : rses_) {
    const bool is_new = &rs == new_rs_;
    if (!is_new && (!rs.pods.empty() || rs.replicas > 0)) return false;
    if (!is_new) continue;
    updated = std::max<int64_t>(static_cast<int64_t>(rs.pods.size()), rs.replicas);
    for (const PodView* p : rs.pods) available += Available(*p, spec.min_ready_seconds, now_, &wait_ms_);
  }
  if (updated != spec.replicas) return false;
  *step = planner::RolloutStep{};
  step->complete = available == spec.replicas;
  return true;
}

Status DeploymentSync::TakeStep(const planner::DeploymentRollout& spec, planner::RolloutStep* step) {
  if (Steady(spec, step)) return Status::Ok();
  std::vector<planner::PodStatus> pods;
  for (const RsInfo& rs : rses_) {
    const bool updated = &rs == new_rs_;
    for (const PodView* p : rs.pods) {
      planner::PodStatus s;
      s.name = p->name;
      s.updated = updated;
      s.ready = p->ready;
      s.available = Available(*p, spec.min_ready_seconds, now_, &wait_ms_);
      pods.push_back(std::move(s));
    }
    for (int32_t i = static_cast<int32_t>(rs.pods.size()); i < rs.replicas; ++i) {
      planner::PodStatus s;  // a pod its ReplicaSet has yet to create
      s.name = "~" + rs.name + "-" + std::to_string(i);
      s.updated = updated;
      pods.push_back(std::move(s));
    }
  }
  // One wave at a time, as PlanDeploymentRollout shows them: while old pods remain,
  // the next step waits until every pod of the new revision is available.
  bool old_left = false, new_waiting = false;
  for (const planner::PodStatus& p : pods) {
    old_left |= !p.updated;
    new_waiting |= p.updated && !p.available;
  }
  if (old_left && new_waiting) return Status::Ok();
  Result<planner::RolloutStep> next = planner::NextDeploymentStep(spec, pods);
  if (!next.ok()) return next.status();
  *step = std::move(*next);
  if (step->empty()) return Status::Ok();
  std::map<RsInfo*, int32_t> delta;
  std::vector<Mutation> writes;
  if (!step->create.empty()) delta[new_rs_] += static_cast<int32_t>(step->create.size());
  for (const std::string& victim : step->remove) {
    for (RsInfo& rs : rses_) {
      if (victim.rfind("~" + rs.name + "-", 0) == 0) delta[&rs] -= 1;
      for (const PodView* p : rs.pods) {
        if (p->name != victim) continue;
        delta[&rs] -= 1;
        writes.push_back({p->key, std::nullopt, ctx_.cache().Get(p->key)->mod_revision});
      }
    }
  }
  for (auto& [rs, d] : delta) {
    Json value = rs->obj->value;
    value["object"]["spec"]["replicas"] = std::max(0, rs->replicas + d);
    writes.push_back({rs->key, value, rs->obj->mod_revision});
  }
  writes.push_back(CountWave(spec, pods));
  return ctx_.CommitOrAbort(writes);
}

// status.rollout {templateHash, wave, waves}: the wave this step starts, counted
// per template, and how many the rollout takes, as the planner plans them from
// the pods at its first wave (what `gorch plan` shows); `apply --wait` and
// `rollout status` print "wave N/M". Written with the step, in its transaction.
Mutation DeploymentSync::CountWave(const planner::DeploymentRollout& spec,
                                   const std::vector<planner::PodStatus>& pods) {
  const std::string key = StatusKey("Deployment", ns_, name_);
  const Obj* cur = ctx_.cache().Get(key);
  Json status = cur && cur->value.is_object() ? cur->value : Json::object();
  Json& rollout = status["rollout"];
  if (StringAt(rollout, "templateHash") == hash_) {
    rollout["wave"] = IntAt(rollout, "wave", 0) + 1;
  } else {
    Result<std::vector<planner::RolloutWave>> waves = planner::PlanDeploymentRollout(spec, pods);
    int64_t count = 0;
    if (waves.ok())
      for (const planner::RolloutWave& w : *waves) count += !w.added.empty() || !w.removed.empty();
    rollout = {{"templateHash", hash_}, {"wave", 1}, {"waves", count}};
  }
  if (IntAt(rollout, "wave", 0) > IntAt(rollout, "waves", 0)) rollout["waves"] = rollout["wave"];
  return {key, status, cur ? cur->mod_revision : 0};
}

Status DeploymentSync::PruneHistory() {
  const int64_t limit = IntAt(spec_, "revisionHistoryLimit", 10);
  std::vector<const RsInfo*> idle;
  for (const RsInfo& rs : rses_) {
    if (&rs != new_rs_ && rs.replicas == 0 && rs.pods.empty()) idle.push_back(&rs);
  }
  std::vector<Mutation> writes;
  for (size_t i = 0; static_cast<int64_t>(idle.size() - i) > limit; ++i) {
    writes.push_back({idle[i]->key, std::nullopt, idle[i]->obj->mod_revision});  // oldest first
  }
  return ctx_.CommitOrAbort(writes);
}

SyncResult DeploymentSync::Run() {
  deploy_ = ctx_.cache().Get(ObjectKey("Deployment", ns_, name_));
  if (!deploy_) return {};
  spec_ = At(deploy_->object(), "spec");
  applied_hash_ = StringAt(deploy_->value, "appliedHash");
  LoadReplicaSets();
  if (Status s = ResolveTarget(); !s.ok()) return {s};
  bool wrote = false;
  if (Status s = EnsureNewReplicaSet(&wrote); !s.ok()) return {s};
  if (wrote) return {};  // the ReplicaSet's event brings us back
  bool complete = false;
  if (new_rs_ && !paused_) {
    Result<planner::DeploymentRollout> spec = RolloutSpec(spec_, new_rs_->name);
    if (!spec.ok()) return {spec.status()};
    planner::RolloutStep step;
    if (Status s = TakeStep(*spec, &step); !s.ok()) return {s};
    if (!step.empty()) return {};  // the writes' events bring us back
    complete = step.complete;
  }
  if (Status s = UpdateStatus(complete); !s.ok()) return {s};
  if (Status s = PruneHistory(); !s.ok()) return {s};
  return {Status::Ok(), wait_ms_};
}

}  // namespace

// Status, progress deadline and automatic rollback (deployment_status.cc).
Status UpdateDeploymentStatus(Context& ctx, const std::string& ns, const std::string& name, const Json& deploy_object,
                              const std::string& applied_hash, const std::string& hash, int64_t revision,
                              const std::vector<std::pair<std::string, std::vector<const PodView*>>>& rs_pods,
                              const std::string& new_rs, bool paused, bool complete,
                              std::optional<int64_t>* wait_ms);

Status DeploymentSync::UpdateStatus(bool complete) {
  std::vector<std::pair<std::string, std::vector<const PodView*>>> rs_pods;
  for (const RsInfo& rs : rses_) rs_pods.emplace_back(rs.name, rs.pods);
  return UpdateDeploymentStatus(ctx_, ns_, name_, deploy_->object(), applied_hash_, hash_, new_rs_ ? new_rs_->revision : 0,
                                rs_pods, new_rs_ ? new_rs_->name : "", paused_, complete, &wait_ms_);
}

SyncResult SyncDeployment(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  DeploymentSync sync(ctx, ns, name);
  return sync.Run();
}

}  // namespace gorch::engine::ctrl
