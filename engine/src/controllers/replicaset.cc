// The ReplicaSet controller: keeps spec.replicas pods "<rs>-<k>" (smallest unused
// k >= 1) and writes the ReplicaSet's status (replicas, readyReplicas).
#include <algorithm>
#include <unordered_set>

#include "controllers/internal.h"

namespace gorch::engine::ctrl {

namespace {
// A sync writes up to kMaxWritesPerSync pods, in transactions of kWritesPerTxn
// all in flight at once (the store makes them durable together).
constexpr size_t kMaxWritesPerSync = 300;
constexpr size_t kWritesPerTxn = 100;
}

SyncResult SyncReplicaSet(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  const std::string rs_key = ObjectKey("ReplicaSet", ns, name);
  const Obj* rs = ctx.cache().Get(rs_key);
  if (!rs) return {};
  const Json& o = rs->object();
  const int64_t replicas = IntAt(At(o, "spec"), "replicas", 0);
  const auto owned = OwnedPods(ctx.cache(), ns, "ReplicaSet", name);
  std::vector<const PodView*> pods;
  for (auto& [pk, pobj] : owned) {
    const PodView& p = ViewPod(pk, *pobj);
    if (!p.terminal()) pods.push_back(&p);
  }
  std::vector<Mutation> writes;
  const int64_t have = static_cast<int64_t>(pods.size());
  if (have < replicas) {
    std::unordered_set<std::string> used;
    for (auto& [pk, pobj] : owned) used.insert(ViewPod(pk, *pobj).name);
    const Json& tmpl = At(At(o, "spec"), "template");
    int k = 1;
    for (int64_t i = have; i < replicas && writes.size() < kMaxWritesPerSync; ++i) {
      while (used.count(name + "-" + std::to_string(k))) ++k;
      const std::string pod = name + "-" + std::to_string(k);
      used.insert(pod);
      writes.push_back({ObjectKey("Pod", ns, pod), NewPod(ns, pod, tmpl, "ReplicaSet", "apps/v1", name, Json()), 0});
    }
  } else if (have > replicas) {
    // Not ready first, then the newest (highest k).
    std::sort(pods.begin(), pods.end(), [](const PodView* a, const PodView* b) {
      if (a->ready != b->ready) return !a->ready;
      if (a->name.size() != b->name.size()) return a->name.size() > b->name.size();
      return a->name > b->name;
    });
    for (int64_t i = 0; i < have - replicas && writes.size() < kMaxWritesPerSync; ++i) {
      writes.push_back({pods[i]->key, std::nullopt, ctx.cache().Get(pods[i]->key)->mod_revision});
    }
  }
  // Failed/succeeded pods of a ReplicaSet are replaced: delete them.
  for (auto& [pk, pobj] : owned) {
    if (ViewPod(pk, *pobj).terminal() && writes.size() < kMaxWritesPerSync) {
      writes.push_back({pk, std::nullopt, pobj->mod_revision});
    }
  }
  if (!writes.empty()) {
    std::vector<std::vector<Mutation>> txns;
    for (size_t i = 0; i < writes.size(); i += kWritesPerTxn)
      txns.emplace_back(std::make_move_iterator(writes.begin() + i),
                        std::make_move_iterator(writes.begin() + std::min(writes.size(), i + kWritesPerTxn)));
    return {ctx.CommitAll(std::move(txns))};
  }
  int64_t ready = std::count_if(pods.begin(), pods.end(), [](const PodView* p) { return p->ready; });
  Json status = {{"replicas", have}, {"readyReplicas", ready}};
  if (At(o, "status") != status) {
    Json value = rs->value;
    value["object"]["status"] = status;
    return {ctx.CommitOrAbort({{rs_key, value, rs->mod_revision}})};
  }
  return {};
}

}  // namespace gorch::engine::ctrl
