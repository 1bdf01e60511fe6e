// The StatefulSet controller: pods "<name>-<ordinal>" through
// planner::NextStatefulSetStep (ordered start and stop, rolling update from the
// highest ordinal, partition). For every volumeClaimTemplate a PVC
// /PersistentVolumeClaim/<ns>/<claim>-<name>-<ordinal> is created before its pod
// and never deleted by gorch (no owner), so a recreated pod gets its data back.
// A pod's revision is its pod-template-hash label. A pod created below the
// partition (old revision) copies the spec of an existing old pod when there is
// one, else takes the current template (gorch keeps no older templates).
// Status at /gorch/status/StatefulSet/<ns>/<name>.
#include "controllers/internal.h"
#include "gorch/planner/rollout.h"
#include "gorch/planner/workload_pods.h"

namespace gorch::engine::ctrl {
namespace {

Json WithClaims(Json tmpl, const Json& claims, const std::string& sts, int32_t ordinal) {
  if (!claims.is_array()) return tmpl;
  Json& volumes = tmpl["spec"]["volumes"];
  if (!volumes.is_array()) volumes = Json::array();
  for (const Json& c : claims) {
    const std::string claim = StringAt(At(c, "metadata"), "name");
    volumes.push_back({{"name", claim},
                       {"persistentVolumeClaim", {{"claimName", claim + "-" + sts + "-" + std::to_string(ordinal)}}}});
  }
  return tmpl;
}

}  // namespace

SyncResult SyncStatefulSet(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  const Obj* sts = ctx.cache().Get(ObjectKey("StatefulSet", ns, name));
  if (!sts) return {};
  const Json& spec = At(sts->object(), "spec");
  const Json& tmpl = At(spec, "template");
  const std::string hash = planner::TemplateHash(ToValue(tmpl));
  const int64_t now = ctx.Now();
  planner::StatefulSetRollout r;
  r.name = name;
  r.replicas = static_cast<int32_t>(IntAt(spec, "replicas", 1));
  r.min_ready_seconds = static_cast<int32_t>(IntAt(spec, "minReadySeconds", 0));
  if (StringAt(spec, "podManagementPolicy") == "Parallel") r.pod_management = planner::PodManagementPolicy::kParallel;
  const Json& us = At(spec, "updateStrategy");
  if (StringAt(us, "type") == "OnDelete") r.update_strategy = planner::StatefulSetUpdateStrategy::kOnDelete;
  r.partition = static_cast<int32_t>(IntAt(At(us, "rollingUpdate"), "partition", 0));
  std::optional<int64_t> wait;
  std::vector<planner::PodStatus> pods;
  const Json* old_spec = nullptr;
  int64_t ready = 0, updated = 0, available = 0;
  for (auto& [pk, pobj] : OwnedPods(ctx.cache(), ns, "StatefulSet", name)) {
    PodView v = ViewPod(pk, *pobj);
    const std::string suffix = v.name.substr(name.size() + 1);
    if (suffix.empty() || suffix.find_first_not_of("0123456789") != std::string::npos) continue;
    planner::PodStatus p;
    p.name = v.name;
    p.ordinal = std::atoi(suffix.c_str());
    p.updated = StringAt(At(At(pobj->object(), "metadata"), "labels"), kPodTemplateHashLabel) == hash;
    if (!p.updated) old_spec = &pobj->object();
    p.ready = v.ready;
    p.available = Available(v, r.min_ready_seconds, now, &wait);
    ready += p.ready;
    updated += p.updated;
    available += p.available;
    pods.push_back(std::move(p));
  }
  Result<planner::RolloutStep> step = planner::NextStatefulSetStep(r, pods);
  if (!step.ok()) return {step.status()};
  std::vector<Mutation> writes;
  for (const planner::PodToCreate& c : step->create) {
    for (const Json& claim : At(spec, "volumeClaimTemplates").is_array() ? At(spec, "volumeClaimTemplates")
                                                                         : Json::array()) {
      const std::string cname =
          StringAt(At(claim, "metadata"), "name") + "-" + name + "-" + std::to_string(c.ordinal);
      const std::string ckey = ObjectKey("PersistentVolumeClaim", ns, cname);
      if (ctx.cache().Get(ckey)) continue;
      Json pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"}, {"spec", At(claim, "spec")}};
      pvc["metadata"] = {{"name", cname}, {"namespace", ns}, {"labels", At(At(tmpl, "metadata"), "labels")}};
      writes.push_back({ckey, Json{{"apiVersion", "v1"}, {"managed", false}, {"object", pvc}}, 0});
    }
    Json pod_tmpl = tmpl;
    std::string pod_hash = hash;
    if (!c.updated && old_spec) {
      pod_tmpl = {{"metadata", At(*old_spec, "metadata")}, {"spec", At(*old_spec, "spec")}};
      pod_tmpl["spec"].erase("nodeName");
      pod_tmpl["metadata"].erase("ownerReferences");
      pod_hash = StringAt(At(At(*old_spec, "metadata"), "labels"), kPodTemplateHashLabel);
    } else {
      pod_tmpl = WithClaims(pod_tmpl, At(spec, "volumeClaimTemplates"), name, c.ordinal);
    }
    Json pod = NewPod(ns, c.name, pod_tmpl, "StatefulSet", "apps/v1", name,
                      {{std::string(kPodTemplateHashLabel), pod_hash},
                       {"statefulset.kubernetes.io/pod-name", c.name}});
    pod["object"]["spec"]["hostname"] = c.name;
    if (!StringAt(spec, "serviceName").empty()) pod["object"]["spec"]["subdomain"] = StringAt(spec, "serviceName");
    writes.push_back({ObjectKey("Pod", ns, c.name), pod, 0});
  }
  for (const std::string& victim : step->remove) {
    const std::string k = ObjectKey("Pod", ns, victim);
    if (const Obj* o = ctx.cache().Get(k)) writes.push_back({k, std::nullopt, o->mod_revision});
  }
  if (!writes.empty()) return {ctx.CommitOrAbort(writes)};
  Json st = {{"replicas", pods.size()},     {"readyReplicas", ready},      {"updatedReplicas", updated},
             {"availableReplicas", available}, {"updateRevision", hash}, {"complete", step->complete}};
  return {WriteStatus(ctx, "StatefulSet", ns, name, st), wait};
}

}  // namespace gorch::engine::ctrl
